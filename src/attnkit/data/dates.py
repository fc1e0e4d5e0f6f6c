"""Random calendar dates written the ways people write them, paired with `YYYY-MM-DD`, and
texts that are not dates, paired with the empty target (the model's refusal).

The reading rules (the model learns exactly these, so a user should know them):
- numbers with the year last (`a/b/y`, `a-b-y`, `a.b.y`): a number above 12 is the day, so
  `31/12/1999` and `12.25.2021` have one reading; when both could be the month, slashes and
  dashes are US month/day (`2/10/93` is 10 February, as in the classic date.txt) and dots are
  European day.month (`1.2.05` is 1 February); `day_first_reading` (`--day-first`) reads
  slashes and dashes day first too;
- a four-digit year first is year, month, day, padded or not: `1994-09-27`, `2021-5-3`,
  `2021.05.03`, `1994/09/27`;
- two-digit years pivot at 70: `93`, `'93` -> 1993, `05`, `'05` -> 2005 (so they are only
  generated for dates in 1970-2069).
Month names come full (`September`), abbreviated (`Sep`, `Sep.`, `Sept.`), in Title, UPPER or
lower case; days as `7`, `07`, `7th` or `the 7th`; weekday prefixes are always the true weekday.
Not a date (refused: the empty target): words such as `tomorrow` or `Q3`, a month without a
day or year, a day that the month does not have (`2/30/2021`), a year outside the range.
"""

from __future__ import annotations

import calendar
import datetime
import random
import re
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


def year_word(year: int, rng: random.Random, two_digit_chance: float,
              apostrophe: bool = False) -> str:
    """`1994`, or for a pivot year `94` (or `'94` where `apostrophe` allows it)."""
    if year in PIVOT_YEARS and rng.random() < two_digit_chance:
        return ("'" if apostrophe and rng.random() < 0.6 else "") + f"{year % 100:02d}"
    return str(year)


def number(value: int, rng: random.Random) -> str:
    """A numeric day or month, written with one or two digits."""
    return f"{value:02d}" if value < 10 and rng.random() < 0.5 else str(value)


def month_day_year(date: datetime.date, rng: random.Random) -> str:
    """`September 27, 1994`, `Sept. 27th 1994`, `Sep 27, '94`, `May the 3rd, 2021`."""
    comma = "," if rng.random() < 0.8 else ""
    day = day_word(date.day, rng)
    the = "the " if day[-1].isalpha() and rng.random() < 0.15 else ""
    year = year_word(date.year, rng, 0.08, apostrophe=True)
    return f"{month_word(date.month, rng)} {the}{day}{comma} {year}"


def weekday_month_day_year(date: datetime.date, rng: random.Random) -> str:
    """`Tuesday, September 25, 1984`."""
    comma = "," if rng.random() < 0.8 else ""
    return f"{weekday_word(date, rng)}{comma} {month_day_year(date, rng)}"


def day_month_year(date: datetime.date, rng: random.Random) -> str:
    """`27 Sep 1994`, `27th September 1994`, `the 27th of September, 1994`, `3 May '21`."""
    day = day_word(date.day, rng)
    of = " of" if day[-1].isalpha() and rng.random() < 0.3 else ""
    the = "the " if of and rng.random() < 0.5 else ""
    comma = "," if rng.random() < 0.2 else ""
    year = year_word(date.year, rng, 0.08, apostrophe=True)
    return f"{the}{day}{of} {month_word(date.month, rng)}{comma} {year}"


def weekday_day_month_year(date: datetime.date, rng: random.Random) -> str:
    """`Tue, 27 Sep 1994`, `Tuesday 27 September 1994`."""
    comma = "," if rng.random() < 0.6 else ""
    return f"{weekday_word(date, rng)}{comma} {day_month_year(date, rng)}"


def day_dash_month_year(date: datetime.date, rng: random.Random) -> str:
    """`27-Sep-1994`, `27-SEP-94`."""
    month = MONTHS[date.month - 1][:3]
    return f"{number(date.day, rng)}-{month}-{year_word(date.year, rng, 0.5)}"


def us_numeric(date: datetime.date, rng: random.Random) -> str:
    """`2/10/93`, `02/10/1993`, `9-27-1994`: month first; day first where the day is above
    12, so that only one reading exists (`31/12/1999`, `27-09-1994`)."""
    separator = "/" if rng.random() < 0.8 else "-"
    year = year_word(date.year, rng, 0.7)
    first, second = number(date.month, rng), number(date.day, rng)
    if date.day > 12 and rng.random() < 0.4:
        first, second = second, first
    return f"{first}{separator}{second}{separator}{year}"


def european_dotted(date: datetime.date, rng: random.Random) -> str:
    """`27.09.1994`, `1.2.05`: day first; month first where the day is above 12
    (`12.25.2021`)."""
    year = year_word(date.year, rng, 0.3)
    first, second = number(date.day, rng), number(date.month, rng)
    if date.day > 12 and rng.random() < 0.2:
        first, second = second, first
    return f"{first}.{second}.{year}"


def year_first(date: datetime.date, rng: random.Random) -> str:
    """`1994-09-27` (ISO), `1994/09/27`, `2021.05.03`, `2021-5-3`."""
    separator = rng.choice(("-", "-", "-", "/", "."))
    if rng.random() < 0.7:
        return f"{date.year}{separator}{date.month:02d}{separator}{date.day:02d}"
    return f"{date.year}{separator}{number(date.month, rng)}{separator}{number(date.day, rng)}"


FORMATS: tuple[tuple[Callable[[datetime.date, random.Random], str], float], ...] = (
    (month_day_year, 0.19),
    (weekday_month_day_year, 0.10),
    (day_month_year, 0.14),
    (weekday_day_month_year, 0.07),
    (day_dash_month_year, 0.05),
    (us_numeric, 0.24),
    (european_dotted, 0.10),
    (year_first, 0.11),
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


NOT_DATE_WORDS = (
    "tomorrow", "yesterday", "today", "tonight", "now", "soon", "later", "never", "someday",
    "next week", "last week", "next month", "last year", "this weekend", "TBD", "TBA", "n/a",
    "none", "unknown", "pending", "asap", "noon", "midnight", "spring", "summer", "autumn",
    "winter", "Q1", "Q2", "Q3", "Q4", "H1", "H2", "FY", "week", "weekend", "day", "month",
    "year", "date", "time", "morning", "evening", "hello", "thanks", "ok", "yes", "no",
)


def not_a_date(rng: random.Random, first_year: int, last_year: int) -> str:
    """A text that names no single date of the range (the model must refuse it): a word, a
    month or day without the rest, a number or time, or a date the calendar or the range
    does not have."""
    date = random_date(rng, first_year, last_year)
    roll = rng.random()
    if roll < 0.25:  # words, alone or with a number: "tomorrow", "Q3 2021", "week 12"
        words = rng.choice(NOT_DATE_WORDS)
        if rng.random() < 0.35:
            words += " " + rng.choice((str(date.year), str(rng.randint(1, 52)), f"'{date:%y}"))
        return apply_case(words, rng)
    if roll < 0.45:  # part of a date: "May 2021", "3 May", "5/3", "2021", "Monday"
        month = month_word(date.month, rng)
        return apply_case(rng.choice((
            f"{month} {date.year}", f"{day_word(date.day, rng)} {month}",
            f"{month} {day_word(date.day, rng)}", f"{number(date.month, rng)}/{date.year}",
            f"{number(date.month, rng)}/{number(date.day, rng)}", str(date.year), month,
            weekday_word(date, rng))), rng)
    if roll < 0.6:  # numbers and times: "12345", "3.14", "10:30", "555-1234"
        return rng.choice((str(rng.randint(0, 99999)), f"{rng.randint(0, 99)}.{rng.randint(0, 99)}",
                           f"{rng.randint(0, 23)}:{rng.randint(0, 59):02d}",
                           f"{rng.randint(100, 999)}-{rng.randint(1000, 9999)}"))
    if roll < 0.85:  # a day the month lacks: "2/30/2021", "31 April 2020"
        # never 29 February: whether that exists is the leap-year rule, which the date grammar
        # keeps (it allows 29 February only in leap years), not something to learn from text
        month = rng.choice([m for m in range(1, 13) if calendar.monthrange(date.year, m)[1] < 31])
        day = rng.randint(max(30, calendar.monthrange(date.year, month)[1] + 1),
                          31 if rng.random() < 0.8 else 39)
        return rng.choice((
            f"{month}/{day}/{date.year}", f"{day}.{month}.{date.year}",
            f"{date.year}-{month:02d}-{day:02d}",
            apply_case(f"{day} {MONTHS[month - 1]} {date.year}", rng),
            apply_case(f"{MONTHS[month - 1][:3]} {day}, {date.year}", rng)))
    if roll < 0.93:  # no month has it: "13/13/2020", "2021-13-01"
        a, b = rng.randint(13, 31), rng.randint(13, 31)
        return rng.choice((f"{a}/{b}/{date.year}", f"{a}.{b}.{date.year}",
                           f"{date.year}-{a}-{rng.randint(1, 28):02d}"))
    # a year outside the range: "September 27, 1850"
    year = rng.choice((rng.randint(1000, first_year - 1) if first_year > 1000 else None,
                       rng.randint(last_year + 1, 9999) if last_year < 9999 else None))
    if year is None:
        return rng.choice(NOT_DATE_WORDS)
    return apply_case(f"{MONTHS[date.month - 1]} {date.day}, {year}", rng)


def day_first_reading(text: str) -> str:
    """`text` as the model reads a day-first date (`--day-first`): in `a/b/y` and `a-b-y`,
    whose ambiguous forms it reads month first, the two numbers change places, so that
    `3/5/2021` is read as 3 May. Anything else is returned as it is."""
    match = DAY_FIRST_FORM.fullmatch(text.strip())
    if match is None:
        return text
    day, separator, month, year = match.groups()
    return f"{month}{separator}{day}{separator}{year}"


DAY_FIRST_FORM = re.compile(r"(\d{1,2})([/-])(\d{1,2})\2(\d{2}|\d{4})")

def generate_date_pairs(count: int, seed: int = 0, first_year: int = 1900,
                        last_year: int = 2099,
                        refusals: float = 0.0) -> tuple[list[str], list[str]]:
    """`count` distinct (source, `YYYY-MM-DD` target) pairs, deterministic for a seed; about
    a `refusals` share of them are texts that are not dates, with the empty target."""
    if not 1 <= first_year <= last_year <= 9999:
        raise AttnkitError(f"year range {first_year}-{last_year} is not within 1-9999")
    rng = random.Random(seed)
    pairs: dict[str, str] = {}
    attempts = 0
    while len(pairs) < count:
        attempts += 1
        if attempts > 20 * count + 1000:
            raise AttnkitError(f"cannot draw {count} distinct dates in {first_year}-{last_year}")
        if refusals and rng.random() < refusals:
            pairs.setdefault(not_a_date(rng, first_year, last_year), "")
            continue
        date = random_date(rng, first_year, last_year)
        pairs.setdefault(write_date(date, rng), iso_date(date))
    return list(pairs), list(pairs.values())


def generate_date_splits(train: int, val: int, test: int, seed: int = 0, first_year: int = 1900,
                         last_year: int = 2099, refusals: float = 0.0) -> PairSplits:
    """Disjoint splits: every source string appears in exactly one of them."""
    sources, targets = generate_date_pairs(train + val + test, seed, first_year, last_year,
                                           refusals)
    order = list(range(len(sources)))
    random.Random(seed + 1).shuffle(order)
    sources = [sources[i] for i in order]
    targets = [targets[i] for i in order]
    cut_val, cut_test = train, train + val
    return PairSplits(sources[:cut_val], targets[:cut_val], sources[cut_val:cut_test],
                     targets[cut_val:cut_test], sources[cut_test:], targets[cut_test:])
