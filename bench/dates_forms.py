"""Benchmark of issue #27: a date model on the forms people write that the classic date.txt
lacks, on texts that are not dates, and on forms the training generator never writes.

Everything is written here, with Python's `calendar` names and this file's own rules, not by
`attnkit.data.dates` (the generator), for dates from 1900 to 2099:
- "named": the forms issue #27 names, read by the documented rules: ISO with and without zero
  padding (`2021-5-3`, `2021.05.03`, `2021/5/3`), day-first dots and dashes (`3.5.2021`,
  `31-12-1999`), day-first slashes where the day is above 12 (`31/12/1999`), month-first dots
  where the day is above 12 (`12.25.2021`), ordinals and `the 3rd of May 2021`, weekday
  prefixes, apostrophe years (`3 May '21`), abbreviations with and without dots;
- "novel": forms the generator never writes (`May-3-2021`, `3/May/2021`, `2021 May 3`,
  `May 3,2021`, `3rd-May-2021`): reported, not a target;
- "not dates": words and phrases written here, and calendar-impossible dates (`2/30/2021`,
  `31 April 2020`): the share the model refuses (answers with no date).
Prints one JSON object: exact match per group and per form, the refusal rate (and refused or
flagged: answered below `--flag-below`), the share of right answers flagged, the median
probability of right and wrong answers, and the first errors.

    .venv/bin/python bench/dates_forms.py RUN [--count 2000] [--seed 27] [--beam 1]
"""

from __future__ import annotations

import argparse
import calendar
import datetime
import json
import random
import statistics
import time
from math import exp

from attnkit.pipelines.seq2seq.predictor import Translator

FIRST, LAST = datetime.date(1900, 1, 1), datetime.date(2099, 12, 31)


def nth(day: int) -> str:
    suffix = "th" if day in (11, 12, 13) else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def abbr(month: int, dot: bool) -> str:
    name = calendar.month_abbr[month]
    return name + "." if dot and name != calendar.month_name[month] else name


NAMED = {
    "ISO unpadded": lambda d: f"{d.year}-{d.month}-{d.day}",
    "year first, dots": lambda d: f"{d.year}.{d.month:02d}.{d.day:02d}",
    "year first, slashes unpadded": lambda d: f"{d.year}/{d.month}/{d.day}",
    "day.month.year": lambda d: f"{d.day}.{d.month}.{d.year}",
    "dd-mm-yyyy, day > 12": lambda d: f"{d.day:02d}-{d.month:02d}-{d.year}",
    "dd/mm/yyyy, day > 12": lambda d: f"{d.day}/{d.month}/{d.year}",
    "mm.dd.yyyy, day > 12": lambda d: f"{d.month}.{d.day}.{d.year}",
    "the Nth of Month YYYY": lambda d: f"the {nth(d.day)} of {calendar.month_name[d.month]} "
                                          f"{d.year}",
    "Nth Mon. YYYY": lambda d: f"{nth(d.day)} {abbr(d.month, True)} {d.year}",
    "Weekday, Nth Month YYYY": lambda d: f"{calendar.day_name[d.weekday()]}, {nth(d.day)} "
                                            f"{calendar.month_name[d.month]} {d.year}",
    "Wkd d Mon 'yy": lambda d: f"{calendar.day_abbr[d.weekday()]} {d.day} "
                                  f"{abbr(d.month, False)} '{d.year % 100:02d}",
    "Mon. d, 'yy": lambda d: f"{abbr(d.month, True)} {d.day}, '{d.year % 100:02d}",
    "d Month 'yy": lambda d: f"{d.day} {calendar.month_name[d.month]} '{d.year % 100:02d}",
}
DAY_ABOVE_12 = {"dd-mm-yyyy, day > 12", "dd/mm/yyyy, day > 12", "mm.dd.yyyy, day > 12"}
TWO_DIGIT = {"Wkd d Mon 'yy", "Mon. d, 'yy", "d Month 'yy"}

NOVEL = {
    "Month-d-yyyy": lambda d: f"{calendar.month_name[d.month]}-{d.day}-{d.year}",
    "d/Mon/yyyy": lambda d: f"{d.day}/{abbr(d.month, False)}/{d.year}",
    "yyyy Month d": lambda d: f"{d.year} {calendar.month_name[d.month]} {d.day}",
    "Mon d,yyyy": lambda d: f"{abbr(d.month, False)} {d.day},{d.year}",
    "Nth-Mon-yyyy": lambda d: f"{nth(d.day)}-{abbr(d.month, False)}-{d.year}",
}

NOT_DATES = [
    "next Tuesday", "in two weeks", "the day after tomorrow", "Christmas", "end of month",
    "2021 Q3", "version 2.0.1", "$12.50", "room 101", "call me at 5", "N/A", "asap",
    "2 weeks", "30 days", "12 Monkeys", "Catch-22", "1984", "yesterday at noon",
    "hello world", "lorem ipsum", "3.14159", "192.168.0.1", "10:45 pm", "15:30", "no idea",
    "sometime in spring", "the 90s", "last Friday", "every Monday", "June", "March 2020",
    "5th of May", "May 5", "12/2021", "page 12", "chapter 3", "42", "0", "-", "...",
]


def impossible(rng: random.Random) -> str:
    """A date the calendar does not have, in a numeric or named form."""
    year = rng.randint(1900, 2099)
    month = rng.choice([m for m in range(1, 13) if calendar.monthrange(year, m)[1] < 31])
    day = rng.randint(calendar.monthrange(year, month)[1] + 1, 31)
    return rng.choice((f"{month}/{day}/{year}", f"{calendar.month_name[month]} {day}, {year}",
                       f"{day} {calendar.month_abbr[month]} {year}",
                       f"{year}-{month:02d}-{day:02d}"))


def dates_for(form: str, count: int, rng: random.Random) -> list[datetime.date]:
    chosen = []
    while len(chosen) < count:
        date = FIRST + datetime.timedelta(days=rng.randint(0, (LAST - FIRST).days))
        if form in DAY_ABOVE_12 and date.day <= 12:
            continue
        if form in TWO_DIGIT and not 1970 <= date.year <= 2069:  # the documented pivot
            continue
        chosen.append(date)
    return chosen


def score(translator: Translator, texts: list[str], answers: list[str], beam: int) -> dict:
    results = translator.predict(texts, beam_width=beam)
    right = [r.output == a for r, a in zip(results, answers, strict=True)]
    return {"results": results, "right": right}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("run")
    parser.add_argument("--count", type=int, default=2000, help="dates per form")
    parser.add_argument("--seed", type=int, default=27)
    parser.add_argument("--beam", type=int, default=1)
    parser.add_argument("--flag-below", type=float, default=0.5,
                        help="an answer below this probability counts as flagged")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    translator = Translator.from_checkpoint(args.run)
    started = time.perf_counter()
    report: dict = {"run": args.run, "beam": args.beam, "dates_per_form": args.count}
    probabilities: dict[str, list[float]] = {"right": [], "wrong": []}
    errors = []
    for group, forms in (("named", NAMED), ("novel", NOVEL)):
        per_form, total, correct = {}, 0, 0
        for name, write in forms.items():
            dates = dates_for(name, args.count, rng)
            texts = [write(date) for date in dates]
            answers = [date.isoformat() for date in dates]
            scored = score(translator, texts, answers, args.beam)
            per_form[name] = round(sum(scored["right"]) / len(texts), 5)
            total, correct = total + len(texts), correct + sum(scored["right"])
            for result, ok, answer in zip(scored["results"], scored["right"], answers,
                                          strict=True):
                probabilities["right" if ok else "wrong"].append(exp(result.score))
                if not ok and len(errors) < 30:
                    errors.append([result.source, result.output, answer,
                                   round(exp(result.score), 3)])
        report[group] = {"exact_match": round(correct / total, 5), "pairs": total,
                         "per_form": per_form}
    non_dates = NOT_DATES + [impossible(rng) for _ in range(len(NOT_DATES) * 5)]
    refused = translator.predict(non_dates, beam_width=args.beam)
    report["not_dates"] = {
        "texts": len(non_dates),
        "refused": round(sum(r.output == "" for r in refused) / len(non_dates), 4),
        "words_refused": round(sum(r.output == "" for r in refused[:len(NOT_DATES)])
                               / len(NOT_DATES), 4),
        "impossible_dates_refused": round(sum(r.output == "" for r in refused[len(NOT_DATES):])
                                          / (len(non_dates) - len(NOT_DATES)), 4),
        "refused_or_flagged": round(sum(r.output == "" or exp(r.score) < args.flag_below
                                        for r in refused) / len(non_dates), 4),
        "answered": [[r.source, r.output, round(exp(r.score), 3)] for r in refused
                     if r.output][:20]}
    right = probabilities["right"]
    report["right_answers_flagged"] = round(sum(p < args.flag_below for p in right)
                                            / max(1, len(right)), 5)
    report["median_probability"] = {key: round(statistics.median(values), 4) if values else None
                                    for key, values in probabilities.items()}
    report["first_errors"] = errors
    report["seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
