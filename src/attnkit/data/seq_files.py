"""Loaders for user sequence-pair files: TSV and the fixed-width format of date.txt/addition.txt.

- TSV: one `source<TAB>target` per line.
- Fixed width (the book's `date.txt`, `addition.txt`): the source padded with spaces, then `_`,
  then the target (itself possibly space-padded). Padding spaces are stripped on both sides
  of the `_`; everything before the first `_` is the source.
Blank lines are skipped. A malformed line raises `AttnkitError` naming the file and line.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from attnkit.errors import AttnkitError
from attnkit.files import read_text

FileFormat = Literal["auto", "tsv", "fixed"]


@dataclass(frozen=True)
class PairSplits:
    """Train/validation/test sources and targets (a split may be empty)."""

    train_sources: list[str]
    train_targets: list[str]
    val_sources: list[str]
    val_targets: list[str]
    test_sources: list[str]
    test_targets: list[str]


def detect_format(path: Path, lines: list[str]) -> Literal["tsv", "fixed"]:
    """TSV if the first non-blank line has a tab, fixed width if it has `_`."""
    for line in lines:
        if not line.strip():
            continue
        if "\t" in line:
            return "tsv"
        if "_" in line:
            return "fixed"
        break
    raise AttnkitError(
        f"{path}: cannot tell the format; expected 'source<TAB>target' lines (TSV) "
        "or the fixed-width 'source   _target' lines of date.txt"
    )


def parse_line(line: str, file_format: str, where: str) -> tuple[str, str]:
    if file_format == "tsv":
        parts = line.split("\t")
        if len(parts) != 2:
            raise AttnkitError(f"{where}: expected 'source<TAB>target', found {len(parts)} fields")
        source, target = parts
    else:
        source, separator, target = line.partition("_")
        if not separator:
            raise AttnkitError(f"{where}: expected 'source _target' (no '_' on this line)")
        source, target = source.rstrip(" "), target.strip(" ")
    if not source.strip() or not target.strip():
        raise AttnkitError(f"{where}: empty {'source' if not source.strip() else 'target'}")
    return source, target


def load_pairs(path: str | Path, file_format: FileFormat = "auto") -> tuple[list[str], list[str]]:
    """Sources and targets of a TSV or fixed-width file."""
    path = Path(path)
    lines = read_text(path).splitlines()
    if file_format == "auto":
        file_format = detect_format(path, lines)
    elif file_format not in ("tsv", "fixed"):
        raise AttnkitError(f"unknown data format {file_format!r}; use auto, tsv or fixed")
    sources, targets = [], []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        source, target = parse_line(line, file_format, f"{path}, line {number}")
        sources.append(source)
        targets.append(target)
    if not sources:
        raise AttnkitError(f"data file {path} has no pairs")
    return sources, targets
