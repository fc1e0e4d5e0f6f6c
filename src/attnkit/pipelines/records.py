"""Writing predictions as a person or a program wants them: `--format text|json|jsonl|csv`
(`--json` for short), one record per input, in input order, on standard output.

- text: the pipeline's own tab-separated columns; an "n_best" list adds one line per entry, its
  first column left empty;
- json: one JSON document, a list of one object per input with every field (nested lists
  included), written as the inputs are read, one object a line;
- jsonl: JSON Lines, one object per input;
- csv: a header, then one row per input; nested fields are written as JSON text.
JSON and CSV are written in UTF-8 (JSON keeps non-ASCII characters as they are). A record with
an "error" field is an input that could not be read: its error is also printed to standard
error as one `error:` line, and the others go on.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from attnkit.decoding import MAX_BEAM_WIDTH
from attnkit.errors import AttnkitError
from attnkit.pipelines.arguments import integer_from

FORMATS = ("text", "json", "jsonl", "csv")


def add_format_arguments(parser: argparse.ArgumentParser, default: str | None = "text",
                         text: str = "text (default)") -> None:
    """`--format` and its short form `--json`; `text` describes the text format."""
    parser.add_argument("--format", choices=FORMATS, default=default,
                        help=f"{text}, json (one JSON list: an object per input, in input "
                        "order), jsonl (JSON Lines: one object a line) or csv (with a header)")
    parser.add_argument("--json", dest="format", action="store_const", const="json",
                        help="short for --format json: standard output is then one JSON "
                        "document and nothing else (notes go to standard error)")


def add_n_best_argument(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("--n-best", type=integer_from(1, MAX_BEAM_WIDTH), metavar="K",
                        help=f"also give the K best {what}, best first, as an n_best list")


def check_n_best(n_best: int | None, beam_width: int, beam_given: bool) -> None:
    """An AttnkitError unless the beam keeps at least `n_best` hypotheses."""
    if n_best is not None and n_best > beam_width:
        where = "--beam" if beam_given else "the run's recipe"
        raise AttnkitError(f"--n-best {n_best} needs a beam at least {n_best} wide, but the "
                           f"beam is {beam_width} ({where}): pass --beam {n_best} or more")


def add_attention_argument(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("--include-attention", action="store_true",
                        help=f"json, jsonl and csv records also hold {what} (left out by "
                        "default to keep them small; weights rounded to 4 decimals)")


class RecordWriter:
    """Writes records (dicts) in one format; `columns` are the csv header, `text_columns` the
    tab-separated fields of the text format (an error record prints its error to stderr).
    `close` ends the output (the json list's closing bracket)."""

    def __init__(self, form: str, columns: Sequence[str], text_columns: Sequence[str],
                 stream: TextIO | None = None) -> None:
        self.form, self.columns, self.text_columns = form, list(columns), list(text_columns)
        self.stream = stream or sys.stdout
        self.table = None
        self.written = 0
        encoding = (getattr(self.stream, "encoding", None) or "utf-8").lower().replace("-", "")
        if form != "text" and encoding != "utf8" and hasattr(self.stream, "reconfigure"):
            self.stream.reconfigure(encoding="utf-8")
        if form == "csv":
            self.table = csv.DictWriter(self.stream, self.columns, extrasaction="ignore",
                                        lineterminator="\n")
            self.table.writeheader()

    def write(self, record: dict[str, Any]) -> None:
        if "error" in record:
            print(f"error: {record['error']}", file=sys.stderr)
        if self.form == "json":
            self.stream.write(("[\n" if not self.written else ",\n") +
                              json.dumps(record, ensure_ascii=False))
        elif self.form == "jsonl":
            print(json.dumps(record, ensure_ascii=False), file=self.stream)
        elif self.table is not None:
            self.table.writerow({key: json.dumps(value, ensure_ascii=False)
                                 if isinstance(value, (list, dict)) else value
                                 for key, value in record.items()})
        elif "error" not in record:
            print("\t".join(str(record[key]) for key in self.text_columns), file=self.stream)
            for entry in record.get("n_best", []):
                print("\t".join(["", *(str(entry.get(key, "")) for key in self.text_columns[1:])]),
                      file=self.stream)
        self.written += 1

    def close(self) -> None:
        if self.form == "json":
            self.stream.write("[]\n" if not self.written else "\n]\n")
        self.stream.flush()
