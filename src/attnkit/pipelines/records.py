"""Writing predictions as a person or a program wants them: `--format text|json|csv` (`--json`
for short), one record per input, in input order, on standard output.

- text: the pipeline's own tab-separated columns, as before;
- json: JSON Lines, one object per input with every field (nested lists included);
- csv: a header, then one row per input; nested fields are written as JSON text.
A record with an "error" field is an input that could not be read; the others go on.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Sequence
from typing import Any, TextIO

FORMATS = ("text", "json", "csv")


def add_format_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=FORMATS, default="text",
                        help="text (default), json (JSON Lines: one object per input) or csv "
                        "(with a header)")
    parser.add_argument("--json", dest="format", action="store_const", const="json",
                        help="short for --format json")


class RecordWriter:
    """Writes records (dicts) in one format; `columns` are the csv header, `text_columns` the
    tab-separated fields of the text format (an error record prints its error to stderr)."""

    def __init__(self, form: str, columns: Sequence[str], text_columns: Sequence[str],
                 stream: TextIO | None = None) -> None:
        self.form, self.columns, self.text_columns = form, list(columns), list(text_columns)
        self.stream = stream or sys.stdout
        self.table = None
        if form == "csv":
            self.table = csv.DictWriter(self.stream, self.columns, extrasaction="ignore",
                                        lineterminator="\n")
            self.table.writeheader()

    def write(self, record: dict[str, Any]) -> None:
        if self.form == "json":
            print(json.dumps(record), file=self.stream)
        elif self.table is not None:
            self.table.writerow({key: json.dumps(value) if isinstance(value, (list, dict))
                                 else value for key, value in record.items()})
        elif "error" in record:
            print(f"error: {record['error']}", file=sys.stderr)
        else:
            print("\t".join(str(record[key]) for key in self.text_columns), file=self.stream)
