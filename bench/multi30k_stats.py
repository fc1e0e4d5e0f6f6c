"""Sentence and subword lengths of Multi30k's training pairs, for choosing the subword vocabulary
(the choice itself is made on validation BLEU): characters and words per sentence, then for each
vocabulary size, joint or per side, and algorithm, the pieces per sentence and per word and how
much of the vocabulary each side uses. Training split only. Prints one JSON object.

    .venv/bin/python bench/multi30k_stats.py [--source en --target de] [--sizes 4000 8000 16000]
        [--algorithms unigram bpe] [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from collections.abc import Sequence

import numpy as np

from attnkit.data.multi30k import load_multi30k
from attnkit.data.subwords import SubwordConfig, SubwordModel, SubwordTokenizers
from attnkit.errors import AttnkitError


def length_stats(lengths: Sequence[int]) -> dict[str, float]:
    values = np.asarray(lengths)
    return {"mean": round(float(values.mean()), 2), "p50": int(np.percentile(values, 50)),
            "p95": int(np.percentile(values, 95)), "p99": int(np.percentile(values, 99)),
            "max": int(values.max()), "total": int(values.sum())}


def side_stats(model: SubwordModel, texts: list[str]) -> dict[str, object]:
    encoded = [model.encode(text) for text in texts]
    words = sum(len(text.split()) for text in texts)
    used = {token for ids in encoded for token in ids}
    return {"pieces_per_sentence": length_stats([len(ids) for ids in encoded]),
            "pieces_per_word": round(sum(map(len, encoded)) / words, 3),
            "vocabulary_used": len(used),
            "unknown_pieces": sum(ids.count(model.unk_id) for ids in encoded)}


def subword_rows(sources: list[str], targets: list[str], languages: tuple[str, str],
                 sizes: list[int], algorithms: list[str]) -> list[dict[str, object]]:
    rows = []
    for algorithm in algorithms:
        for size in sizes:
            for joint in (True, False):
                config = SubwordConfig(vocab_size=size, algorithm=algorithm, joint=joint)
                row: dict[str, object] = {"algorithm": algorithm, "vocab_size": size,
                                          "joint": joint}
                started = time.process_time()
                try:
                    pair = SubwordTokenizers.train(sources, targets, config)
                except AttnkitError as error:
                    rows.append({**row, "error": str(error)})
                    continue
                row["train_cpu_seconds"] = round(time.process_time() - started, 1)
                row[languages[0]] = side_stats(pair.source, sources)
                row[languages[1]] = side_stats(pair.target, targets)
                rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", default="en")
    parser.add_argument("--target", default="de")
    parser.add_argument("--sizes", type=int, nargs="+", default=[4000, 8000, 16000])
    parser.add_argument("--algorithms", nargs="+", default=["unigram", "bpe"],
                        choices=["unigram", "bpe"])
    parser.add_argument("--data-dir", help="data folder (default: $ATTNKIT_DATA)")
    args = parser.parse_args()
    splits = load_multi30k(args.source, args.target, args.data_dir)
    sources, targets = splits.train_sources, splits.train_targets
    sentences = {language: {"characters": length_stats([len(text) for text in texts]),
                            "words": length_stats([len(text.split()) for text in texts])}
                 for language, texts in ((args.source, sources), (args.target, targets))}
    print(json.dumps({
        "data": f"Multi30k {args.source}-{args.target} train ({len(sources)} pairs)",
        "sentences": sentences,
        "subwords": subword_rows(sources, targets, (args.source, args.target), args.sizes,
                                 args.algorithms),
        "note": "words: white-space separated; vocabulary_used: distinct ids a side's "
                "training text uses (a joint model's ids are shared by both sides)",
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(),
                    "load_average": os.getloadavg()},
    }, indent=2))


if __name__ == "__main__":
    main()
