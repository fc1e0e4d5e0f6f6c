"""The Large Movie Review Dataset (IMDB, Maas et al. 2011) in its official ``aclImdb`` layout.

Accepts the official archive (``aclImdb_v1.tar.gz``), the local labelled copy
(``aclImdb_v1_labelled.tar.gz``) or an extracted ``aclImdb/`` folder, directly in the data
folder or in its ``imdb/`` subfolder. Reviews are put in one canonical order
(split, ``neg`` before ``pos``, numeric id), so an archive and its extracted folder give the
same vocabulary. Tokenising 50,000 reviews is cached in a ``.npz`` file (see ``imdb_cache``).
"""

from __future__ import annotations

import hashlib
import json
import re
import tarfile
from dataclasses import dataclass
from pathlib import Path

from attnkit.data.text_tokenizer import TextTokenizer
from attnkit.data.token_corpus import TokenCorpus, encode_corpus, load_corpus, save_corpus
from attnkit.errors import AttnkitError

IMDB_URL = "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz"
IMDB_SHA256 = "c40f74a18d3b61f90feba1e17730e0d38e8b97c05fde7008942e91923d1658fe"
ARCHIVE_NAMES = ("aclImdb_v1.tar.gz", "aclImdb_v1_labelled.tar.gz")
FOLDER_NAME = "aclImdb"
SPLITS = ("train", "test")
LABEL_NAMES = ("neg", "pos")
CACHE_VERSION = 1
REVIEW_NAME = re.compile(r"^aclImdb/(train|test)/(neg|pos)/(\d+)_(\d+)\.txt$")


@dataclass(frozen=True)
class ImdbSplit:
    """Reviews of one split; labels are 0 (``neg``) or 1 (``pos``), ``texts[i]`` is a review."""

    texts: list[str]
    labels: list[int]


def find_imdb_source(data_dir: Path, download_if_missing: bool = False) -> Path:
    """The IMDB archive or ``aclImdb`` folder under ``data_dir`` (or ``data_dir/imdb``).

    With ``download_if_missing`` the official archive is fetched (and its checksum checked)
    when nothing is found; otherwise a missing data set is an ``AttnkitError`` that says
    where it was looked for.
    """
    for folder in (data_dir, data_dir / "imdb"):
        if (folder / FOLDER_NAME).is_dir():
            return folder / FOLDER_NAME
        for name in ARCHIVE_NAMES:
            if (folder / name).is_file():
                return folder / name
    if download_if_missing:
        from attnkit.data.sources import download

        return download(IMDB_URL, data_dir / "imdb" / ARCHIVE_NAMES[0], IMDB_SHA256)
    names = ", ".join((FOLDER_NAME + "/",) + ARCHIVE_NAMES)
    raise AttnkitError(
        f"no IMDB data in {data_dir} or {data_dir / 'imdb'}: expected one of {names} "
        "(the official aclImdb layout); pass --data-dir or set $ATTNKIT_DATA"
    )


def read_imdb(source: Path, per_class_limit: int | None = None) -> dict[str, ImdbSplit]:
    """Both splits from an archive or folder; ``per_class_limit`` keeps the first reviews.

    The limit applies per (split, label) in id order for a folder and in archive order
    for an archive (then sorted by id), so a test can read a small balanced slice.
    """
    if source.is_dir():
        records = _read_folder(source, per_class_limit)
    else:
        records = _read_archive(source, per_class_limit)
    splits = {}
    for split in SPLITS:
        chosen = sorted(key for key in records if key[0] == split)
        found = {key[1] for key in chosen}
        if found != set(LABEL_NAMES):
            missing = ", ".join(f"{split}/{label}" for label in LABEL_NAMES if label not in found)
            raise AttnkitError(
                f"{source} does not have the aclImdb layout: no reviews in {missing} "
                "(expected aclImdb/{train,test}/{neg,pos}/<id>_<rating>.txt)"
            )
        splits[split] = ImdbSplit(
            texts=[records[key] for key in chosen],
            labels=[LABEL_NAMES.index(key[1]) for key in chosen],
        )
    return splits


def _decode(raw: bytes, where: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise AttnkitError(
            f"{where}: byte {error.start} is not valid UTF-8 ({raw[error.start:error.start + 1]!r})"
        ) from None


def _read_archive(path: Path, per_class_limit: int | None) -> dict[tuple, str]:
    records: dict[tuple, str] = {}
    counts: dict[tuple[str, str], int] = {}
    try:
        with tarfile.open(path, "r:*") as archive:
            for member in archive:
                match = REVIEW_NAME.match(member.name)
                if not match or not member.isfile():
                    continue
                split, label, review_id = match.group(1), match.group(2), int(match.group(3))
                seen = counts.get((split, label), 0)
                if per_class_limit is not None and seen >= per_class_limit:
                    continue
                counts[(split, label)] = seen + 1
                handle = archive.extractfile(member)
                raw = handle.read() if handle else b""
                records[(split, label, review_id)] = _decode(raw, f"{path}:{member.name}")
    except (tarfile.TarError, OSError, EOFError) as error:
        raise AttnkitError(f"cannot read IMDB archive {path}: {error}") from None
    return records


def _read_folder(folder: Path, per_class_limit: int | None) -> dict[tuple, str]:
    records: dict[tuple, str] = {}
    for split in SPLITS:
        for label in LABEL_NAMES:
            directory = folder / split / label
            if not directory.is_dir():
                continue
            files = []
            for file in directory.iterdir():
                match = REVIEW_NAME.match(f"aclImdb/{split}/{label}/{file.name}")
                if match:
                    files.append((int(match.group(3)), file))
            files.sort()
            for review_id, file in files[:per_class_limit]:
                records[(split, label, review_id)] = _decode(file.read_bytes(), str(file))
    return records


def load_imdb_corpus(
    data_dir: Path,
    tokenizer: TextTokenizer,
    cache_dir: Path | None = None,
    per_class_limit: int | None = None,
    download_if_missing: bool = False,
) -> TokenCorpus:
    """IMDB tokenised with ``tokenizer``, from the ``.npz`` cache when it is up to date.

    The cache file name is a hash of the source's path, size and modification time, the
    tokenizer settings and the limit, so a changed archive or tokenizer is re-read. It goes
    to ``cache_dir``, else ``~/.cache/attnkit/cache`` (never into the data folder).
    """
    source = find_imdb_source(data_dir, download_if_missing)
    key = {
        "version": CACHE_VERSION,
        "source": str(source.resolve()),
        "stamp": _source_stamp(source),
        "tokenizer": tokenizer.to_dict(),
        "per_class_limit": per_class_limit,
    }
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:20]
    cache_file = _cache_folder(cache_dir) / f"imdb-{digest}.npz"
    if cache_file.is_file():
        return load_corpus(cache_file)
    splits = read_imdb(source, per_class_limit)
    corpus = encode_corpus(
        {name: split.texts for name, split in splits.items()},
        {name: split.labels for name, split in splits.items()},
        tokenizer,
    )
    try:
        save_corpus(corpus, cache_file)
    except OSError:
        pass  # a read-only place only costs the next run the tokenising time
    return corpus


def _source_stamp(source: Path) -> list[int]:
    paths = [source]
    if source.is_dir():
        paths = [source / split / label for split in SPLITS for label in LABEL_NAMES]
    stamps = []
    for path in paths:
        if path.exists():
            status = path.stat()
            stamps += [status.st_size, status.st_mtime_ns]
    return stamps


def _cache_folder(cache_dir: Path | None) -> Path:
    # Not the data folder: it is often shared or read-only (and root may write to it anyway).
    return cache_dir if cache_dir is not None else Path.home() / ".cache" / "attnkit" / "cache"
