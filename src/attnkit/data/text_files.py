"""User text data: labelled CSV, TSV or JSONL files.

Every problem a user can cause (missing file, bytes that are not UTF-8, a missing column,
an empty text or label) raises ``AttnkitError`` naming the file, the line and what was found.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from dataclasses import dataclass
from pathlib import Path

from attnkit.errors import AttnkitError
from attnkit.files import read_text

FORMATS = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl"}


@dataclass(frozen=True)
class LabelledTexts:
    """Texts and their labels (as strings: class names), in file order."""

    texts: list[str]
    labels: list[str]


def read_labelled_texts(
    path: Path, text_column: str = "text", label_column: str = "label"
) -> LabelledTexts:
    """Texts and labels from a ``.csv``, ``.tsv`` or ``.jsonl`` file (chosen by extension)."""
    kind = FORMATS.get(path.suffix.lower())
    if kind is None:
        known = ", ".join(sorted(FORMATS))
        raise AttnkitError(f"{path}: unknown data file type {path.suffix!r}; use one of {known}")
    content = read_text(path)
    if kind == "jsonl":
        rows = _jsonl_rows(path, content)
    else:
        rows = _table_rows(path, content, "\t" if kind == "tsv" else ",")
    texts, labels = [], []
    for line, row in rows:
        for column in (text_column, label_column):
            if column not in row:
                found = ", ".join(map(repr, row)) or "none"
                raise AttnkitError(
                    f"{path}:{line}: no column {column!r}; columns found: {found} "
                    "(choose them with --text-col / --label-col)"
                )
        text, label = row[text_column], row[label_column]
        if text is None or not str(text).strip():
            raise AttnkitError(f"{path}:{line}: empty text in column {text_column!r}")
        if label is None or not str(label).strip():
            raise AttnkitError(f"{path}:{line}: empty label in column {label_column!r}")
        texts.append(str(text))
        labels.append(str(label).strip())
    if not texts:
        raise AttnkitError(f"{path}: no rows of data")
    return LabelledTexts(texts, labels)


def _table_rows(path: Path, content: str, delimiter: str) -> list[tuple[int, dict]]:
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))  # long reviews exceed the 128 kB default
    reader = csv.DictReader(io.StringIO(content, newline=""), delimiter=delimiter)
    rows = []
    try:
        for row in reader:
            if None in row:
                raise AttnkitError(
                    f"{path}:{reader.line_num}: more fields than the {len(reader.fieldnames)} "
                    "header columns (quote texts that contain the delimiter)"
                )
            rows.append((reader.line_num, {key: value for key, value in row.items()}))
    except csv.Error as error:
        raise AttnkitError(f"{path}:{reader.line_num}: {error}") from None
    if reader.fieldnames is None:
        raise AttnkitError(f"{path}: empty file (a header line with column names is expected)")
    if not rows:
        found = ", ".join(map(repr, reader.fieldnames))
        raise AttnkitError(f"{path}: a header ({found}) but no rows of data")
    return rows


def _jsonl_rows(path: Path, content: str) -> list[tuple[int, dict]]:
    rows = []
    for line_number, line in enumerate(content.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            raise AttnkitError(f"{path}:{line_number}: not valid JSON ({error.msg})") from None
        if not isinstance(row, dict):
            raise AttnkitError(f"{path}:{line_number}: expected a JSON object per line")
        rows.append((line_number, row))
    return rows
