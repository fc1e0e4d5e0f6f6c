"""Tiny classifiers trained by `attnkit train classify` on generated three-topic sentences:
runs of about a second, with no IMDB data needed."""

from __future__ import annotations

import csv
import random
from pathlib import Path

from attnkit.cli import main

WORDS = {"sport": "match goal team coach", "food": "recipe taste chef dinner",
         "music": "song band album guitar"}
FILLER = "the a it was and of this".split()
TINY = ["model.embedding_size=16", "model.hidden_size=16", "model.attention_units=8",
        "train.epochs=2", "train.batch_size=16", "train.lr=0.01"]


def write_topics(path: Path, count: int, seed: int) -> Path:
    """`count` TSV rows (columns sentence, topic): filler words and one word of the topic."""
    rng = random.Random(seed)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle, delimiter="\t")
        writer.writerow(["sentence", "topic"])
        for i in range(count):
            topic = list(WORDS)[i % 3]
            words = rng.choices(FILLER, k=rng.randint(2, 8)) + [rng.choice(WORDS[topic].split())]
            rng.shuffle(words)
            writer.writerow([" ".join(words), topic])
    return path


def topic_arguments(data: Path) -> list[str]:
    return ["--data", str(data), "--text-col", "sentence", "--label-col", "topic"]


def train_topics(run_dir: Path, *options: str) -> Path:
    """`attnkit train classify` on 120 topic sentences (a file beside `run_dir`), TINY sizes."""
    data = write_topics(run_dir.parent / f"{run_dir.name}-topics.tsv", 120, seed=0)
    settings = [part for setting in TINY for part in ("--set", setting)]
    assert main(["train", "classify", *topic_arguments(data), "--run-dir", str(run_dir),
                 *settings, *options]) == 0
    return run_dir
