"""Inference beside other work (issue 26): reviews/s of the shipped `imdb` model (torch) with 0,
1 and 2 busy neighbour processes, at 2 and 1 torch threads, median of `--repeats`. Torch's
intra-op threads spin, so a run that wants both cores slows badly when another process holds
one. Prints one JSON object; run it with nothing else on the machine.

    .venv/bin/python bench/shared_cores.py [--reviews 400] [--repeats 3] [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import torch

from attnkit.data.imdb import find_imdb_source, read_imdb
from attnkit.pipelines.classify.predictor import TextClassifier

BUSY = "while True: pass"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reviews", type=int, default=400)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--data-dir", default=os.environ.get("ATTNKIT_DATA", "../shared/data"))
    args = parser.parse_args()
    source = find_imdb_source(Path(args.data_dir))
    texts = read_imdb(source, per_class_limit=args.reviews // 2 + 1)["test"].texts[: args.reviews]
    classifier = TextClassifier.from_checkpoint("imdb", "cpu")
    classifier.predict(texts[:20])
    report: dict = {"reviews": len(texts), "cpus": os.cpu_count(), "reviews_per_second": {}}
    for neighbours in (0, 1, 2):
        busy = [subprocess.Popen([sys.executable, "-c", BUSY]) for _ in range(neighbours)]
        try:
            time.sleep(0.5)
            for threads in (2, 1):
                torch.set_num_threads(threads)
                rates = []
                for _ in range(args.repeats):
                    started = time.perf_counter()
                    classifier.predict(texts)
                    rates.append(len(texts) / (time.perf_counter() - started))
                key = f"neighbours={neighbours},threads={threads}"
                report["reviews_per_second"][key] = round(statistics.median(rates), 1)
        finally:
            for process in busy:
                process.kill()
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
