"""Random calendar dates written the ways people write them, paired with `YYYY-MM-DD`.

Numeric conventions (the model learns exactly these, so a user should know them):
- slashes or dashes with the year last are US month/day/year: `2/10/93`, `09-27-1994`
  (as in the classic date.txt);
- dots are European day.month.year: `27.09.1994`, `1.2.05`;
- a four-digit year first is year/month/day: `1994-09-27`, `1994/09/27`;
- two-digit years pivot at 70: `93` -> 1993, `05` -> 2005 (so they are only generated for
  dates in 1970-2069).
Month names come full (`September`), abbreviated (`Sep`, `Sep.`, `Sept.`), in Title, UPPER or
lower case; days as `7`, `07` or `7th`; weekday prefixes are always the true weekday.
"""

from __future__ import annotations

import calendar
import datetime
import functools
import random
from collections.abc import Callable

from attnkit.data.seq_files import PairSplits
from attnkit.errors import AttnkitError

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
WEEKDAY_SHORT = {"Tuesday": ("Tue", "Tues"), "Thursday": ("Thu", "Thur", "Thurs")}
PIVOT_YEARS = range(1970, 2070)


def iso_date(date: datetime.date) -> str:
    return f"{date.year:04d}-{date.month:02d}-{date.day:02d}"


def ordinal(day: int) -> str:
    """1 -> 1st, 2 -> 2nd, 11 -> 11th, 23 -> 23rd."""
    if 10 <= day % 100 <= 20:
        return f"{day}th"
    return f"{day}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(day % 10, 'th') }"


def month_word(month: int, rng: random.Random) -> str:
    """Full or abbreviated month name, abbreviations with or without a dot (`Sept.` too)."""
    name = MONTHS[month - 1]
    if rng.random() < 0.5:
        return name
    short = name[:3]
    if short == name:
        return name
    if month == 9 and rng.random() < 0.3:
        short = "Sept"
    return short + ("." if rng.random() < 0.3 else "")


def weekday_word(date: datetime.date, rng: random.Random) -> str:
    name = WEEKDAYS[date.weekday()]
    if rng.random() < 0.6:
        return name
    short = rng.choice((name[:3],) + WEEKDAY_SHORT.get(name, ()))
    return short + ("." if rng.random() < 0.2 else "")


def day_word(day: int, rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.55:
        return str(day)
    if roll < 0.8:
        return ordinal(day)
    return f"{day:02d}"


def year_word(year: int, rng: random.Random, two_digit_chance: float) -> str:
    if year in PIVOT_YEARS and rng.random() < two_digit_chance:
        return f"{year % 100:02d}"
    return str(year)


def number(value: int, rng: random.Random) -> str:
    """A numeric day or month, written with one or two digits."""
    return f"{value:02d}" if value < 10 and rng.random() < 0.5 else str(value)


def month_day_year(date: datetime.date, rng: random.Random) -> str:
    """`September 27, 1994`, `Sept. 27th 1994`."""
    comma = "," if rng.random() < 0.8 else ""
    return f"{month_word(date.month, rng)} {day_word(date.day, rng)}{comma} {date.year}"


def weekday_month_day_year(date: datetime.date, rng: random.Random) -> str:
    """`Tuesday, September 25, 1984`."""
    comma = "," if rng.random() < 0.8 else ""
    return f"{weekday_word(date, rng)}{comma} {month_day_year(date, rng)}"


def day_month_year(date: datetime.date, rng: random.Random) -> str:
    """`27 Sep 1994`, `27th September 1994`, `27th of September, 1994`."""
    day = day_word(date.day, rng)
    of = " of" if day[-1].isalpha() and rng.random() < 0.3 else ""
    comma = "," if rng.random() < 0.2 else ""
    return f"{day}{of} {month_word(date.month, rng)}{comma} {date.year}"


def weekday_day_month_year(date: datetime.date, rng: random.Random) -> str:
    """`Tue, 27 Sep 1994`, `Tuesday 27 September 1994`."""
    comma = "," if rng.random() < 0.6 else ""
    return f"{weekday_word(date, rng)}{comma} {day_month_year(date, rng)}"


def day_dash_month_year(date: datetime.date, rng: random.Random) -> str:
    """`27-Sep-1994`, `27-SEP-94`."""
    month = MONTHS[date.month - 1][:3]
    return f"{number(date.day, rng)}-{month}-{year_word(date.year, rng, 0.5)}"


def us_numeric(date: datetime.date, rng: random.Random) -> str:
    """`2/10/93`, `02/10/1993`, `9-27-1994`: month first."""
    separator = "/" if rng.random() < 0.8 else "-"
    year = year_word(date.year, rng, 0.7)
    return f"{number(date.month, rng)}{separator}{number(date.day, rng)}{separator}{year}"


def european_dotted(date: datetime.date, rng: random.Random) -> str:
    """`27.09.1994`, `1.2.05`: day first."""
    year = year_word(date.year, rng, 0.3)
    return f"{number(date.day, rng)}.{number(date.month, rng)}.{year}"


def year_first(date: datetime.date, rng: random.Random) -> str:
    """`1994-09-27` (ISO), `1994/09/27`."""
    separator = rng.choice(("-", "-", "/"))
    return f"{date.year}{separator}{date.month:02d}{separator}{date.day:02d}"


FORMATS: tuple[tuple[Callable[[datetime.date, random.Random], str], float], ...] = (
    (month_day_year, 0.20),
    (weekday_month_day_year, 0.11),
    (day_month_year, 0.14),
    (weekday_day_month_year, 0.07),
    (day_dash_month_year, 0.05),
    (us_numeric, 0.24),
    (european_dotted, 0.10),
    (year_first, 0.09),
)


def apply_case(text: str, rng: random.Random) -> str:
    """Title, UPPER or lower case, as in date.txt (numeric dates are unaffected)."""
    roll = rng.random()
    if roll < 0.5:
        return text
    return text.upper() if roll < 0.75 else text.lower()


def random_date(rng: random.Random, first_year: int, last_year: int) -> datetime.date:
    start = datetime.date(first_year, 1, 1).toordinal()
    end = datetime.date(last_year, 12, 31).toordinal()
    return datetime.date.fromordinal(rng.randint(start, end))


def write_date(date: datetime.date, rng: random.Random) -> str:
    """One human way of writing `date`, chosen at random."""
    functions, weights = zip(*FORMATS, strict=True)
    write = rng.choices(functions, weights=weights)[0]
    return apply_case(write(date, rng), rng)


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


def generate_date_pairs(count: int, seed: int = 0, first_year: int = 1900,
                        last_year: int = 2099) -> tuple[list[str], list[str]]:
    """`count` distinct (source, `YYYY-MM-DD` target) pairs, deterministic for a seed."""
    if not 1 <= first_year <= last_year <= 9999:
        raise AttnkitError(f"year range {first_year}-{last_year} is not within 1-9999")
    rng = random.Random(seed)
    pairs: dict[str, str] = {}
    attempts = 0
    while len(pairs) < count:
        attempts += 1
        if attempts > 20 * count + 1000:
            raise AttnkitError(f"cannot draw {count} distinct dates in {first_year}-{last_year}")
        date = random_date(rng, first_year, last_year)
        pairs.setdefault(write_date(date, rng), iso_date(date))
    return list(pairs), list(pairs.values())


def generate_date_splits(train: int, val: int, test: int, seed: int = 0, first_year: int = 1900,
                         last_year: int = 2099) -> PairSplits:
    """Disjoint splits: every source string appears in exactly one of them."""
    sources, targets = generate_date_pairs(train + val + test, seed, first_year, last_year)
    order = list(range(len(sources)))
    random.Random(seed + 1).shuffle(order)
    sources = [sources[i] for i in order]
    targets = [targets[i] for i in order]
    cut_val, cut_test = train, train + val
    return PairSplits(sources[:cut_val], targets[:cut_val], sources[cut_val:cut_test],
                     targets[cut_val:cut_test], sources[cut_test:], targets[cut_test:])
