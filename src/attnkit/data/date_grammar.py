"""The output grammar of a date model: which characters may follow a prefix on the way to a
`YYYY-MM-DD` calendar date in a year range (the `iso_date` search grammar of
`pipelines.seq2seq.data.output_grammar`), and whether a text is such a date.
"""

from __future__ import annotations

import calendar
import functools

ISO_TEMPLATE = "YYYY-MM-DD"


@functools.lru_cache(maxsize=1 << 16)
def next_date_characters(prefix: str, first_year: int = 1, last_year: int = 9999) -> str:
    """The characters that may follow `prefix` on the way to a `YYYY-MM-DD` calendar date with
    a year from `first_year` to `last_year`: "" for a whole date (only the end may follow) or a
    prefix no date starts with. `is_iso_date` tells the two apart."""
    if len(prefix) >= len(ISO_TEMPLATE):
        return ""
    return "".join(character for character in "0123456789-"
                   if date_starts_with(prefix + character, first_year, last_year))


def date_starts_with(prefix: str, first_year: int, last_year: int) -> bool:
    """Whether some `YYYY-MM-DD` date in the year range starts with `prefix`."""
    if len(prefix) > len(ISO_TEMPLATE) or any(
            (mark == "-") != (character == "-") or not (character == "-" or character.isdigit())
            for mark, character in zip(ISO_TEMPLATE[:len(prefix)], prefix, strict=True)):
        return False
    year = prefix[:4]
    if int(year.ljust(4, "9")) < first_year or int(year.ljust(4, "0")) > last_year:
        return False
    if len(prefix) <= 5:
        return True
    months = [month for month in range(1, 13) if f"{month:02d}".startswith(prefix[5:7])]
    if len(prefix) <= 8 or not months:
        return bool(months)
    last_day = calendar.monthrange(int(year), months[0])[1]
    return any(f"{day:02d}".startswith(prefix[8:]) for day in range(1, last_day + 1))


def prefix_class(prefix: str, first_year: int = 1, last_year: int = 9999) -> str:
    """A name shared by prefixes that every date continues alike: the same characters may
    follow them (`next_date_characters`) and they are whole dates alike (`is_iso_date`).

    Past the year, only three things about it matter: whether it is a year of the range, and
    whether it is a leap year (February's last day); so "2024-0" and "1996-0" share a class,
    and a search's grammar is computed once per class, not once per date."""
    year = prefix[:4]
    if len(prefix) <= 4 or not year.isdigit():
        return prefix
    in_range = first_year <= int(year) <= last_year
    leap = calendar.isleap(int(year)) if int(year) > 0 else False
    return f"{'in' if in_range else 'out'}-{'leap' if leap else 'common'}:{prefix[4:]}"


def is_iso_date(text: str, first_year: int = 1, last_year: int = 9999) -> bool:
    """Whether `text` is a whole `YYYY-MM-DD` calendar date in the year range."""
    return len(text) == len(ISO_TEMPLATE) and date_starts_with(text, first_year, last_year)
