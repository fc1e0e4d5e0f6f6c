"""Benchmark of issue 13: a date model on dates written by others, in the four forms of the
classic date.txt (Deep Learning from Scratch 2): `2/10/93`, `Sep 30, 1981`,
`October 24, 1974` and `Wednesday, February 26, 1997`, each as written, in lower case or in
upper case, for dates from 1970 to 2017 (the file's range).

The dates are written here, with Python's `calendar` names and this file's own rules, not by
`attnkit.data.dates` (the training generator): a fair check that the model learnt the forms and
not the generator. Prints one JSON object: exact match over all of them and over those whose
text never occurs in the run's training split, per form, the number of outputs that are not
valid calendar dates, and the first errors. It also scores held-out pairs of the training
generator per family of forms: the run's validation split, topped up to `--validation-pairs`
with fresh generated pairs absent from its training split (the split alone holds too few of
some forms to see a 0.1 % difference). Settings are chosen on that, with `--validation-only`,
and the dates written here are read once they are chosen.

    .venv/bin/python bench/dates_by_others.py RUN [--count 50000] [--seed 13] [--beam 1]
        [--grammar none|iso_date] [--validation-pairs 50000] [--validation-only]
"""

from __future__ import annotations

import argparse
import calendar
import datetime
import json
import random
import re
import time
from collections import Counter
from dataclasses import replace

from attnkit.data.dates import generate_date_pairs
from attnkit.pipelines.seq2seq.data import build_splits
from attnkit.pipelines.seq2seq.predictor import Translator
from attnkit.run.checkpoint import read_header, resolve_checkpoint

FIRST, LAST = datetime.date(1970, 1, 1), datetime.date(2017, 12, 31)


def short(date: datetime.date) -> str:
    """`M/d/yy`: no leading zeros, two-digit year."""
    return f"{date.month}/{date.day}/{date.year % 100:02d}"


def medium(date: datetime.date) -> str:
    return f"{calendar.month_abbr[date.month]} {date.day}, {date.year}"


def long(date: datetime.date) -> str:
    return f"{calendar.month_name[date.month]} {date.day}, {date.year}"


def full(date: datetime.date) -> str:
    return f"{calendar.day_name[date.weekday()]}, {long(date)}"


FORMS = {"M/d/yy": short, "MMM d, y": medium, "MMMM d, y": long, "EEEE, MMMM d, y": full}
CASES = (str, str.lower, str.upper)
FAMILIES = {  # of the generator's forms, by the look of the text
    "numeric, two-digit year, slashes": r"\d{1,2}/\d{1,2}/\d\d",
    "numeric, other": r"[\d/.-]+",
    "month name first": r"[A-Za-z]+\.? .*",
    "other": r".*",
}


def dates_by_others(count: int, seed: int) -> list[tuple[str, str, str]]:
    """(form, text, YYYY-MM-DD) for `count` dates drawn uniformly from FIRST to LAST."""
    rng = random.Random(seed)
    days = (LAST - FIRST).days
    written = []
    for _ in range(count):
        date = FIRST + datetime.timedelta(days=rng.randrange(days + 1))
        form = rng.choice(list(FORMS))
        text = rng.choice(CASES)(FORMS[form](date))
        written.append((form, text, date.isoformat()))
    return written


def is_calendar_date(text: str) -> bool:
    try:
        return datetime.date.fromisoformat(text).isoformat() == text
    except ValueError:
        return False


def family(text: str) -> str:
    return next(name for name, pattern in FAMILIES.items() if re.fullmatch(pattern, text))


def scored(translator: Translator, groups: list[list[str]], texts: list[str],
           targets: list[str], beam: int | None) -> tuple[dict, list[str], list[str]]:
    """{"exact_match": per group, "count": per group} over `texts` (each in the groups listed),
    the outputs and the errors."""
    outputs = [t.output for t in translator.predict(texts, beam)]
    right, total, errors = Counter(), Counter(), []
    for names, text, target, output in zip(groups, texts, targets, outputs, strict=True):
        for name in names:
            total[name] += 1
            right[name] += output == target
        if output != target:
            errors.append(f"{text} -> {output} (not {target})")
    return ({"exact_match": {name: round(right[name] / total[name], 5) for name in total},
             "count": dict(total)}, outputs, errors)


def held_out_pairs(splits, data, count: int) -> tuple[list[str], list[str]]:  # noqa: ANN001
    """The validation split, then generated pairs (another seed) absent from the training
    split, up to `count` pairs."""
    sources, targets = list(splits.val_sources), list(splits.val_targets)
    if count > len(sources):
        taken = set(splits.train_sources) | set(sources) | set(splits.test_sources)
        more = generate_date_pairs(2 * count, data.seed + 1000, data.first_year, data.last_year)
        for source, target in zip(*more, strict=True):
            if len(sources) >= count:
                break
            if source not in taken:
                sources.append(source)
                targets.append(target)
    return sources, targets


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", help="a dates run folder or checkpoint")
    parser.add_argument("--count", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--beam", type=int, help="beam width (default: the run's recipe)")
    parser.add_argument("--grammar", choices=("none", "iso_date"),
                        help="decode.grammar (default: the run's recipe)")
    parser.add_argument("--validation-pairs", type=int, default=50_000,
                        help="held-out generated pairs to score (at least the validation split)")
    parser.add_argument("--validation-only", action="store_true",
                        help="score the run's validation split only")
    args = parser.parse_args()
    translator = Translator.from_checkpoint(args.run)
    if args.grammar is not None:
        recipe = replace(translator.recipe,
                         decode=replace(translator.recipe.decode, grammar=args.grammar))
        meta = read_header(resolve_checkpoint(args.run))["meta"]
        translator = Translator(translator.model, translator.vocab, recipe, meta,
                                translator.device)
    splits = build_splits(translator.recipe.data)
    decode = translator.recipe.decode
    report: dict = {"run": args.run, "beam": args.beam or decode.beam_width,
                    "grammar": translator.recipe.decode.grammar}
    sources, targets = held_out_pairs(splits, translator.recipe.data, args.validation_pairs)
    val_groups = [["all", family(text)] for text in sources]
    report["validation"], _, val_errors = scored(translator, val_groups, sources, targets,
                                                 args.beam)
    report["validation"]["first_errors"] = val_errors[:20]
    if not args.validation_only:
        seen = set(splits.train_sources)
        written = dates_by_others(args.count, args.seed)
        groups = [["all", form] + ([] if text in seen else ["unseen in training"])
                  for form, text, _ in written]
        started = time.perf_counter()
        scores, outputs, errors = scored(translator, groups, [text for _, text, _ in written],
                                         [target for _, _, target in written], args.beam)
        report["dates_by_others"] = {
            "seed": args.seed, **scores, "errors": len(errors),
            "invalid_dates": sum(not is_calendar_date(output) for output in outputs),
            "dates_per_second": round(len(written) / (time.perf_counter() - started)),
            "first_errors": errors[:40]}
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
