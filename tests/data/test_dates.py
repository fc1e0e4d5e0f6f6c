import datetime
import re

import pytest

from attnkit.data.date_grammar import is_iso_date, next_date_characters, prefix_class
from attnkit.data.dates import (
    WEEKDAYS,
    day_first_reading,
    generate_date_pairs,
    generate_date_splits,
    ordinal,
    write_date,
)
from attnkit.errors import AttnkitError


def test_ordinals():
    assert [ordinal(d) for d in (1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 31)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "23rd", "31st"]


def test_pairs_are_seeded_distinct_and_targets_are_iso():
    sources, targets = generate_date_pairs(2000, seed=3)
    assert (sources, targets) == generate_date_pairs(2000, seed=3)
    assert sources != generate_date_pairs(2000, seed=4)[0]
    assert len(set(sources)) == 2000
    for target in targets:
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", target)
        datetime.date.fromisoformat(target)


def test_splits_are_disjoint():
    pairs = generate_date_splits(1000, 200, 200, seed=1)
    train, val, test = map(set, (pairs.train_sources, pairs.val_sources, pairs.test_sources))
    assert len(train) == 1000 and len(val) == 200 and len(test) == 200
    assert not train & val and not train & test and not val & test


def test_weekday_prefixes_are_the_true_weekday():
    sources, targets = generate_date_pairs(3000, seed=0)
    checked = 0
    for source, target in zip(sources, targets, strict=True):
        word = source.split(",")[0].split(" ")[0].rstrip(".").lower()
        if word[:3] in {w[:3].lower() for w in WEEKDAYS}:
            weekday = WEEKDAYS[datetime.date.fromisoformat(target).weekday()].lower()
            assert weekday.startswith(word), (source, target)
            checked += 1
    assert checked > 200


def test_formats_cover_the_families_people_write():
    sources, _ = generate_date_pairs(5000, seed=0)
    patterns = {
        "title month": r"^[A-Z][a-z]+ \d{1,2}(st|nd|rd|th)?,? \d{4}$",
        "upper month": r"^[A-Z]{3,9} \d{1,2},? \d{4}$",
        "lower month": r"^[a-z]{3,9} \d{1,2},? \d{4}$",
        "sept.": r"^Sept\. \d",
        "ordinal": r"\d(st|nd|rd|th)\b",
        "weekday upper": r"^(MONDAY|TUESDAY|WEDNESDAY|THURSDAY|FRIDAY|SATURDAY|SUNDAY),",
        "numeric m/d/yy": r"^\d{1,2}/\d{1,2}/\d{2}$",
        "iso": r"^\d{4}-\d{2}-\d{2}$",
        "dotted": r"^\d{1,2}\.\d{1,2}\.\d{4}$",
        "day month year": r"^\d{1,2} [A-Za-z]{3} \d{4}$",
        "year slash": r"^\d{4}/\d{2}/\d{2}$",
    }
    for name, pattern in patterns.items():
        assert any(re.search(pattern, s) for s in sources), name


def test_two_digit_years_pivot_at_70():
    sources, targets = generate_date_pairs(5000, seed=2)
    numeric = [(match, target) for source, target in zip(sources, targets, strict=True)
               if (match := re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{2})", source))]
    years = [int(match[3]) for match, _ in numeric]
    # 340 here, 105 of them from 1970-1999: enough of each side of the pivot to test it
    assert len(numeric) >= 200 and sum(year >= 70 for year in years) >= 50
    assert sum(year < 70 for year in years) >= 50
    for match, target in numeric:
        month, day, year = map(int, match.groups())
        if month > 12:  # a number above 12 is the day: 31/12/99
            month, day = day, month
        expected_year = 1900 + year if year >= 70 else 2000 + year
        assert target == f"{expected_year:04d}-{month:02d}-{day:02d}"


def test_write_date_example_is_reproducible():
    import random
    date = datetime.date(1994, 9, 27)
    texts = {write_date(date, random.Random(i)) for i in range(300)}
    assert "27.09.1994" in texts or "27.9.1994" in texts
    assert any(t.lower().startswith("tuesday") for t in texts)
    assert not any(t.lower().startswith(("mon", "wed", "thu", "fri", "sat", "sun")) for t in texts)


def test_bad_year_range():
    with pytest.raises(AttnkitError, match="year range"):
        generate_date_pairs(10, first_year=2000, last_year=1999)


@pytest.mark.parametrize("prefix, following", [
    ("", "12"), ("2", "0"), ("2099", "-"), ("2099-", "01"), ("2099-1", "012"),
    ("2099-02", "-"), ("2099-02-", "012"), ("2099-02-2", "012345678"),  # 2099: 28 days
    ("2000-02-2", "0123456789"), ("1900-02-2", "012345678"),  # 2000 leaps, 1900 does not
    ("2000-04-3", "0"), ("2000-01-3", "01"), ("2000-01-31", ""), ("2000-13", ""),
])
def test_next_date_characters_lead_only_to_calendar_dates(prefix, following):
    assert next_date_characters(prefix, 1900, 2099) == following


def test_prefixes_of_one_class_continue_alike():
    """Every prefix of every date from 1895 to 2105 (and a few that are no date's), grouped
    by class within 1900-2099: one class, one set of next characters, one answer to 'is this
    a whole date' (the classes let a search work the grammar out once per class)."""
    prefixes = {""}
    day = datetime.date(1895, 1, 1)
    while day.year <= 2105:
        text = day.isoformat()
        prefixes.update(text[:n] for n in range(1, 11))
        day += datetime.timedelta(days=1)
    prefixes.update({"20x", "2000-1x", "2000-13", "2000-02-30", "1899-02-2", "abcd-"})
    seen: dict[str, tuple[str, bool]] = {}
    for prefix in sorted(prefixes):
        answer = (next_date_characters(prefix, 1900, 2099), is_iso_date(prefix, 1900, 2099))
        assert seen.setdefault(prefix_class(prefix, 1900, 2099), answer) == answer, prefix
    assert 1_000 < len(seen) < 3_000  # ~79,000 prefixes, ~2,000 classes


def test_whole_dates_in_the_year_range():
    assert is_iso_date("2000-02-29", 1900, 2099) and not is_iso_date("1900-02-29")
    assert not is_iso_date("2011-13-12") and not is_iso_date("2011-12-1")
    assert not is_iso_date("1899-12-31", 1900, 2099) and is_iso_date("1899-12-31")


def test_the_short_us_form_of_date_txt_is_well_covered():
    """`3/12/11` (M/d/yy, as in the classic date.txt) was 3 % of the generated dates, and a
    one-digit month before a day of 10-19 rare enough that a trained model read `3/12/11` as
    2011-13-12. It is now about 7 % (day first only where the day is above 12)."""
    sources, _ = generate_date_pairs(20_000, seed=5)
    short = [s for s in sources if re.fullmatch(r"\d{1,2}/\d{1,2}/\d\d", s)]
    assert len(short) / len(sources) > 0.06
    assert sum(bool(re.fullmatch(r"\d/1\d/\d\d", s)) for s in short) > 100


def the_date(year: int, month: int, day: int) -> str | None:
    """Python's calendar (the oracle): the ISO date, or None where it has no such day."""
    try:
        return datetime.date(year, month, day).isoformat()
    except ValueError:
        return None


def test_the_forms_issue_27_names_are_generated_and_read_by_the_documented_rules():
    sources, targets = generate_date_pairs(30_000, seed=11)
    pairs = dict(zip(sources, targets, strict=True))
    found = {name: [s for s in sources if re.fullmatch(pattern, s)] for name, pattern in {
        "ISO unpadded": r"\d{4}-\d{1,2}-\d{1,2}", "year first, dots": r"\d{4}\.\d\d?\.\d\d?",
        "day-first slashes": r"(1[3-9]|2\d|3[01])/\d{1,2}/\d{2,4}",
        "month-first dots": r"\d{1,2}\.(1[3-9]|2\d|3[01])\.\d{2,4}",
        "the Nth of": r"(?i)the \d{1,2}(st|nd|rd|th) of \w+\.?,? '?\d{2,4}",
        "apostrophe year": r".*'\d\d"}.items()}
    assert all(len(texts) >= 30 for texts in found.values()), \
        {name: len(texts) for name, texts in found.items()}
    assert any(re.fullmatch(r"\d{4}-\d-\d{1,2}", s) for s in found["ISO unpadded"])
    for source in found["ISO unpadded"] + found["year first, dots"]:
        year, month, day = map(int, re.split(r"[-.]", source))
        assert pairs[source] == the_date(year, month, day), source
    for source in found["day-first slashes"]:
        day, month, year = map(int, source.split("/"))
        year += 0 if year > 99 else (1900 if year >= 70 else 2000)
        assert pairs[source] == the_date(year, month, day), source
    for source in found["month-first dots"]:
        month, day, year = map(int, source.split("."))
        year += 0 if year > 99 else (1900 if year >= 70 else 2000)
        assert pairs[source] == the_date(year, month, day), source
    for source in found["apostrophe year"]:
        two_digits = int(re.search(r"'(\d\d)", source)[1])
        assert int(pairs[source][:4]) == (1900 if two_digits >= 70 else 2000) + two_digits


def test_texts_that_are_not_dates_have_the_empty_target_and_no_calendar_date():
    sources, targets = generate_date_pairs(20_000, seed=4, refusals=0.2)
    refused = [s for s, t in zip(sources, targets, strict=True) if t == ""]
    assert 0.15 < len(refused) / len(sources) < 0.25
    assert not [s for s in generate_date_pairs(5_000, seed=4)[1] if s == ""]  # off by default
    numeric = [s for s in refused if re.fullmatch(r"\d{1,2}/\d{1,2}/\d{4}", s)]
    assert len(numeric) >= 100
    for source in numeric:  # no reading of either order is a date (the calendar says)
        first, second, year = map(int, source.split("/"))
        assert the_date(year, first, second) is None and the_date(year, second, first) is None
    assert {"tomorrow", "Q3", "TBD"} & {s.strip() for s in refused}
    # 29 February is never refused: whether it exists is the grammar's leap-year rule
    assert not [s for s in refused if re.fullmatch(r"2/29/\d{4}|29 February \d{4}", s)]


@pytest.mark.parametrize(("text", "read_as"), [
    ("3/5/2021", "5/3/2021"), ("31-12-99", "12-31-99"), ("12/25/2021", "25/12/2021"),
    (" 3/5/2021 ", "5/3/2021"),
    ("3.5.2021", "3.5.2021"), ("2021-05-03", "2021-05-03"), ("3/5-2021", "3/5-2021"),
    ("May 3, 2021", "May 3, 2021"),
])
def test_day_first_reading_swaps_only_numeric_slash_and_dash_dates(text, read_as):
    assert day_first_reading(text) == read_as
