"""Which molecules of the HIV set (MoleculeNet's DTP AIDS antiviral screen, SMILES only) are for
training, validation and held-out testing: fixed by each molecule's canonical SMILES alone.

`hiv_split` hashes the RDKit canonical SMILES with SHA-256 and reads its first 8 bytes as a
fraction of 2**64: below 0.85 is "train", 0.85 to 0.90 "val", from 0.90 "test". The rule needs
no list and no seed, gives every duplicate (and every other spelling of one molecule) the same
split, and keeps a molecule in its split when the file grows or is reordered.

The file is `<data dir>/hiv/hiv_smiles.csv` (header `smiles`, one SMILES a line), a local copy
of the public set; the loader never downloads it.
"""

from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path
from typing import Literal

from attnkit.data.chem import canonical_smiles
from attnkit.data.sources import resolve_data_dir
from attnkit.errors import AttnkitError
from attnkit.files import read_text

HIV_FILE = ("hiv", "hiv_smiles.csv")
SPLIT_BOUNDS = (("train", 0.85), ("val", 0.90), ("test", 1.0))  # upper end of each share
HIV_SPLITS = tuple(name for name, _ in SPLIT_BOUNDS)


def split_fraction(canonical: str) -> float:
    """Where the SHA-256 of `canonical` (UTF-8) falls in [0, 1)."""
    return int.from_bytes(hashlib.sha256(canonical.encode()).digest()[:8], "big") / 2.0**64


def hiv_split(canonical: str) -> Literal["train", "val", "test"]:
    """The split of a molecule, given its RDKit canonical SMILES (see the module docstring)."""
    fraction = split_fraction(canonical)
    for name, upper in SPLIT_BOUNDS:
        if fraction < upper:
            return name  # type: ignore[return-value]
    return "test"


def load_hiv(split: str, data_dir: str | Path | None = None,
             limit: int | None = None) -> list[str]:
    """The canonical SMILES of the HIV molecules in `split` (train, val, test), first
    `limit` of them in file order, each molecule once; SMILES RDKit cannot parse are left
    out."""
    if split not in HIV_SPLITS:
        raise AttnkitError(f"unknown HIV split {split!r}; choose one of: {', '.join(HIV_SPLITS)}")
    path = resolve_data_dir(data_dir).joinpath(*HIV_FILE)
    if not path.is_file():
        raise AttnkitError(f"HIV file {path} not found; point --data-dir or $ATTNKIT_DATA at a "
                           f"folder holding {'/'.join(HIV_FILE)}")
    rows = csv.reader(io.StringIO(read_text(path), newline=""))
    header = next(rows, [])
    if not header or header[0].strip().lower() != "smiles":
        raise AttnkitError(f"{path} line 1: expected the header 'smiles', found {header}")
    chosen: list[str] = []
    seen: set[str] = set()
    for row in rows:
        if limit is not None and len(chosen) >= limit:
            break
        canonical = canonical_smiles(row[0].strip()) if row else None
        if canonical is None or canonical in seen or hiv_split(canonical) != split:
            continue
        seen.add(canonical)
        chosen.append(canonical)
    return chosen
