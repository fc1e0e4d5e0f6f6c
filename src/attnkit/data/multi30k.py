"""Multi30k task 1 (Elliott et al. 2016, 2017): English image captions with German and French
translations, one sentence a line, line-aligned across the languages.

Files are the official gzipped raw text, `<data dir>/multi30k/{split}.{language}.gz`, for the
splits train (29,000), val (1,014) and test_2016_flickr (1,000, the test set papers report).
The later test sets (test_2017_*, test_2018_flickr) are never read: they stay unseen. The data
folder comes from `--data-dir`, then $ATTNKIT_DATA, then the user cache
(`attnkit.data.sources.resolve_data_dir`). A missing file is downloaded from the official
repository, at a fixed commit, and checked against its SHA-256 only with
`download_if_missing=True` (the CLI asks for it; tests never do).

Lines are kept as the files have them (a few German and French lines hold double spaces or
no-break spaces); only the newline is removed. Lines are split on "\\n" alone, never on other
Unicode line breaks, which would break the alignment.
"""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

from attnkit.data.seq_files import PairSplits
from attnkit.data.sources import download, resolve_data_dir
from attnkit.errors import AttnkitError

# multi30k/dataset at a fixed commit, so that a moved branch cannot change the files
OFFICIAL_BASE = ("https://github.com/multi30k/dataset/raw/"
                 "a3d2e0d26b56f3846f66a952536ffed4e401d05a/data/task1/raw")
SPLITS = ("train", "val", "test_2016_flickr")
LANGUAGES = ("en", "de", "fr")
SIZES = {"train": 29000, "val": 1014, "test_2016_flickr": 1000}
SHA256 = {
    "train.en": "d79cfa999dd4c51d2cb42499b6796d5a882c3a8a961923c25a898c90f8bbd56f",
    "train.de": "726e39b2fa9eb9ffb6dc763fb35a179f80fae06ffc5d28b6ace5faa883de28a6",
    "train.fr": "622e75069e9f4c577425c4f277116ce66e63a2401c0a2312d90073cb12379a3c",
    "val.en": "14f7d25ddd868909a9213e361768460edcacdd6ab9d1e77b92560dc10c10dc28",
    "val.de": "f0cba2f995189cf5770f29a8a9a537a3ad3f51657ad873405082ff6863a5e75a",
    "val.fr": "ca3106f1a72390591d25f6c45cb4cd39dec4cd3f123e099748a3ce5256c160e9",
    "test_2016_flickr.en": "611d361c6334bc7246101d48097c13cf5c4413c5befc793cc629934359d532d9",
    "test_2016_flickr.de": "9204244e408ccb38d2a55cfcd344df15005fc42a07a6e55ca6c52b6ababb8cc8",
    "test_2016_flickr.fr": "6d326e188d259fb1d04ac19eae3af956559b3a0b93d7635e56c90987c40c8b90",
}


def multi30k_path(split: str, language: str, data_dir: str | Path | None = None,
                  download_if_missing: bool = False) -> Path:
    """The file of `split` in `language`, downloaded (and checked) if missing and
    `download_if_missing`."""
    check_choice("split", split, SPLITS)
    check_choice("language", language, LANGUAGES)
    name = f"{split}.{language}.gz"
    path = resolve_data_dir(data_dir) / "multi30k" / name
    if path.is_file():
        return path
    if not download_if_missing:
        raise AttnkitError(f"Multi30k file {path} not found; point --data-dir or $ATTNKIT_DATA "
                           f"at a folder holding multi30k/{name}, or allow the download of "
                           f"{OFFICIAL_BASE}/{name}")
    return download(f"{OFFICIAL_BASE}/{name}", path, SHA256[f"{split}.{language}"])


def read_multi30k(split: str, language: str, data_dir: str | Path | None = None,
                  limit: int | None = None, download_if_missing: bool = False) -> list[str]:
    """The first `limit` (all if None) sentences of `split` in `language`, in file order."""
    path = multi30k_path(split, language, data_dir, download_if_missing)
    try:
        with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
            text = handle.read()
    except (OSError, EOFError, UnicodeDecodeError, zlib.error) as error:
        raise AttnkitError(f"cannot read {path}: {error}") from None
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    if limit is None and len(lines) != SIZES[split]:
        raise AttnkitError(f"{path} has {len(lines)} lines; Multi30k {split} has "
                           f"{SIZES[split]} (a damaged or different file)")
    return [line.removesuffix("\r") for line in lines[:limit]]


def load_multi30k(source: str = "en", target: str = "de", data_dir: str | Path | None = None,
                  limit: int | None = None, download_if_missing: bool = False) -> PairSplits:
    """Sentence pairs of the language pair `source`->`target` (en-de, en-fr, the reverse
    directions, or de-fr: both translations of the same English caption) for train, val and
    test_2016_flickr; `limit` keeps the first pairs of each split (for tests)."""
    if source == target:
        raise AttnkitError(f"source and target language are both {source!r}")
    sides = {language: {split: read_multi30k(split, language, data_dir, limit,
                                             download_if_missing) for split in SPLITS}
             for language in (source, target)}
    return PairSplits(sides[source]["train"], sides[target]["train"],
                      sides[source]["val"], sides[target]["val"],
                      sides[source]["test_2016_flickr"], sides[target]["test_2016_flickr"])


def check_choice(name: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise AttnkitError(f"unknown Multi30k {name} {value!r}; choose one of: "
                           f"{', '.join(choices)}")
