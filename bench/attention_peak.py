"""Benchmark of issue #27: how much a classifier's attention singles out, on 1,000 IMDB
validation reviews (the recipe's validation share of the training reviews, never the test set).

Per review: the top token's weight against an even share (weight x length; 1 = attention
spread evenly), the share of the weight on the top 5 % of tokens, and the entropy against the
even spread's (1 = even). Prints one JSON object with medians and quartiles, and validation
accuracy on the same reviews.

    .venv/bin/python bench/attention_peak.py RUN [RUN ...] [--reviews 1000] [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import json
import math

import numpy as np

from attnkit.data.sources import resolve_data_dir
from attnkit.pipelines.classify.data import EncodedDataset, prepare_imdb
from attnkit.pipelines.classify.predictor import TextClassifier
from attnkit.pipelines.classify.recipe import ClassifyRecipe
from attnkit.recipe import recipe_from_dict
from attnkit.run.checkpoint import read_header, resolve_checkpoint


def peaks(weights: list[float]) -> tuple[float, float, float]:
    w = np.asarray(weights, dtype=np.float64)
    n = len(w)
    top = max(1, math.ceil(0.05 * n))
    entropy = float(-(w[w > 0] * np.log(w[w > 0])).sum())
    return float(w.max() * n), float(np.sort(w)[-top:].sum()), \
        entropy / math.log(n) if n > 1 else 1.0


def quartiles(values: list[float]) -> dict[str, float]:
    q1, median, q3 = np.percentile(values, [25, 50, 75])
    return {"q1": round(float(q1), 3), "median": round(float(median), 3),
            "q3": round(float(q3), 3)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("runs", nargs="+")
    parser.add_argument("--reviews", type=int, default=1000)
    parser.add_argument("--data-dir")
    args = parser.parse_args()
    report = {"reviews": args.reviews, "runs": {}}
    for run in args.runs:
        classifier = TextClassifier.from_checkpoint(run, "cpu")
        # the run's own data settings (a Transformer's strip "<br />")
        recipe = recipe_from_dict(ClassifyRecipe, read_header(resolve_checkpoint(run))["meta"]
                                  ["recipe"])
        data = prepare_imdb(recipe.data, resolve_data_dir(args.data_dir), recipe.train.seed)
        assert classifier.vocabulary.to_list() == data.vocabulary.to_list(), run
        chosen = np.random.default_rng(27).choice(len(data.validation), args.reviews,
                                                  replace=False)
        subset = EncodedDataset([data.validation.sequences[i] for i in chosen],
                                data.validation.labels[chosen])
        predictions = classifier.predict_encoded(subset)
        measured = [peaks(p.weights) for p in predictions]
        right = [classifier.class_names.index(p.label) == label
                 for p, label in zip(predictions, subset.labels, strict=True)]
        report["runs"][run] = {
            "val_accuracy": round(sum(right) / len(right), 4),
            "top_token_vs_even_share": quartiles([m[0] for m in measured]),
            "weight_on_top_5_percent": quartiles([m[1] for m in measured]),
            "entropy_vs_even": quartiles([m[2] for m in measured])}
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
