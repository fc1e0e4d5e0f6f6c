"""MOSES molecules (Polykovskiy et al. 2020, MIT licence): one canonical SMILES a line.

Files are the official gzipped CSVs (`SMILES` header, then one molecule a line) in
`<data dir>/moses/`. The data folder comes from `--data-dir`, then $ATTNKIT_DATA, then the user
cache (`attnkit.data.sources.resolve_data_dir`). A missing file is downloaded from the official
repository and checked against its SHA-256 only with `download_if_missing=True` (the CLI asks
for it; tests do not); offline, that is an error saying where to put the file.
"""

from __future__ import annotations

import gzip
from pathlib import Path

from attnkit.data.sources import download, resolve_data_dir
from attnkit.errors import AttnkitError

OFFICIAL_BASE = "https://github.com/molecularsets/moses/raw/master/moses/dataset/data"
MOSES_FILES: dict[str, tuple[str, str]] = {
    "train": ("train.csv.gz",
              "786f0313aa6b9ba5514df685f885742a70ea8d86f1a4fa48115f7f80a634265c"),
    "test": ("test.csv.gz",
             "f896fbf3764f88d94670b9959e5872c600c12152a18233823e820761b7a791b2"),
    "test_scaffolds": ("test_scaffolds.csv.gz",
                       "adffb2192c1bfe31ab0e13154d4af19a37dc18bdbf3cd7b4491e04405128adde"),
}


def moses_path(split: str, data_dir: str | Path | None = None,
               download_if_missing: bool = False) -> Path:
    """The file of `split` (train, test, test_scaffolds), downloaded (and checked) if missing
    and `download_if_missing`."""
    if split not in MOSES_FILES:
        raise AttnkitError(f"unknown MOSES split {split!r}; choose one of: "
                           f"{', '.join(MOSES_FILES)}")
    name, sha256 = MOSES_FILES[split]
    path = resolve_data_dir(data_dir) / "moses" / name
    if path.is_file():
        return path
    if not download_if_missing:
        raise AttnkitError(f"MOSES file {path} not found; point --data-dir or $ATTNKIT_DATA "
                           f"at a folder holding moses/{name}, or allow the download of "
                           f"{OFFICIAL_BASE}/{name}")
    return download(f"{OFFICIAL_BASE}/{name}", path, sha256)


def load_moses(split: str, data_dir: str | Path | None = None, limit: int | None = None,
               download_if_missing: bool = False) -> list[str]:
    """The first `limit` (all if None) SMILES of a MOSES split, in file order."""
    path = moses_path(split, data_dir, download_if_missing)
    smiles: list[str] = []
    try:
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            header = handle.readline().strip()
            if header.split(",")[0] != "SMILES":
                raise AttnkitError(f"{path} line 1: expected the header 'SMILES', "
                                   f"found columns {header.split(',')}")
            for line_number, line in enumerate(handle, start=2):
                if limit is not None and len(smiles) >= limit:
                    break
                text = line.split(",")[0].strip()
                if not text:
                    raise AttnkitError(f"{path} line {line_number}: empty SMILES")
                smiles.append(text)
    except (OSError, EOFError, UnicodeDecodeError) as error:
        raise AttnkitError(f"cannot read {path}: {error}") from None
    return smiles
