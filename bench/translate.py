"""Multi30k translation benchmark (issue 25): quality against training minutes, and speed.

Trains `attnkit train translate` (recipe `multi30k`, or `--config`, `--model`, `--set`) into a
new run folder, or reads a trained one (`--run RUN`), then prints one JSON object:
- "curve": per epoch, the training minutes so far (the run's metrics.jsonl, evaluation not
  counted) and validation BLEU and chrF as training measured them (the recipe's search);
- "checkpoints": the best checkpoint (chosen on validation BLEU) and, when the run kept
  several epochs (train.keep_last), the average of its last K (`--average K`, default all it
  kept): BLEU (sacrebleu default), bleu_lc_tok (the lowercased tokenised BLEU Multi30k papers
  quote) and chrF on val and test_2016_flickr, with greedy search and beam 4, each with its
  signature, and sentences/s of each search on the test set (whole batches through
  `Translator.predict`: subword encoding, search, detokenising).
Settings are chosen on val; test_2016_flickr is reported only.

    ATTNKIT_DATA=../shared/data .venv/bin/python bench/translate.py               # the recipe
    .venv/bin/python bench/translate.py --model residual_lstm --minutes 60         # equal time
    .venv/bin/python bench/translate.py --run runs/seq2seq-transformer-...         # measure
    .venv/bin/python bench/translate.py --set data.limit=300 --minutes 0.5 ...     # a smoke run
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import tempfile
import time
from pathlib import Path

import torch

import attnkit
from attnkit.engine.checkpoint_averaging import save_averaged_checkpoint
from attnkit.engine.run_log import read_metrics
from attnkit.engine.run_recorder import epoch_checkpoints
from attnkit.pipelines.seq2seq.evaluation import evaluation_pairs, scores
from attnkit.pipelines.seq2seq.predictor import Translator
from attnkit.run.checkpoint import read_header

BEAMS = (1, 4)


def train(args: argparse.Namespace) -> Path:
    """A new run of the recipe (in --run-dir, else runs/); its progress goes to stderr
    (stdout is the JSON)."""
    with contextlib.redirect_stdout(sys.stderr):
        return attnkit.train("translate", config=args.config, overrides=args.overrides,
                             run_dir=args.run_dir, model=args.model, minutes=args.minutes,
                             data_dir=args.data_dir, threads=args.threads)


def curve(run: Path) -> list[dict]:
    minutes, points = 0.0, []
    for record in read_metrics(run / "metrics.jsonl"):
        minutes += record["train_seconds"] / 60
        points.append({"epoch": record["epoch"], "train_minutes": round(minutes, 2),
                       **{key: round(record[key], 2) for key in ("val_bleu", "val_chrf")
                          if key in record}})
    return points


def measure(checkpoint: Path, data_dir: str | None) -> dict:
    """Scores on val and test_2016_flickr with each search, and test sentences/s."""
    translator = Translator.from_checkpoint(checkpoint)
    header = read_header(checkpoint)
    report: dict = {"checkpoint": checkpoint.name, "epoch": header.get("epoch"),
                    **({"averaged_epochs": header["averaged"]["epochs"]}
                       if "averaged" in header else {})}
    for split in ("val", "test"):
        sources, targets, described = evaluation_pairs(translator.recipe, split,
                                                       data_dir=data_dir)
        for beam in BEAMS:
            started = time.perf_counter()
            outputs = [result.output for result in translator.predict(sources, beam)]
            seconds = time.perf_counter() - started
            found = scores(translator.recipe, outputs, targets)
            entry = {"pairs": len(sources), **found}
            if split == "test":
                entry["sentences_per_second"] = round(len(sources) / seconds, 1)
            report[f"{described.split()[-1]}_beam{beam}"] = entry
    return report


def averaged(run: Path, count: int | None, folder: Path) -> Path | None:
    kept = epoch_checkpoints(run)
    count = len(kept) if count is None else min(count, len(kept))
    if count < 2:
        return None
    return save_averaged_checkpoint(kept[-count:], folder / f"averaged-last-{count}.safetensors")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, help="a trained run folder: measure, train nothing")
    parser.add_argument("--run-dir", type=Path, help="where to train (default: runs/...)")
    parser.add_argument("--config", help="recipe (default: multi30k)")
    parser.add_argument("--model", choices=("transformer", "residual_lstm", "attention"))
    parser.add_argument("--set", dest="overrides", action="append", default=[],
                        help="recipe override, e.g. train.lr=5e-4")
    parser.add_argument("--minutes", type=float, help="training time limit (recipe: 60)")
    parser.add_argument("--threads", type=int, help="torch threads (default: torch's)")
    parser.add_argument("--average", type=int, help="average the last K kept epochs "
                        "(default: all the run kept)")
    parser.add_argument("--data-dir", help="data folder (default: $ATTNKIT_DATA)")
    args = parser.parse_args()
    run = args.run or train(args)
    best = run / "best.safetensors"
    report = {"run": str(run), "torch_threads": torch.get_num_threads(),
              "recipe": read_header(best)["meta"]["recipe"], "curve": curve(run),
              "checkpoints": [measure(best, args.data_dir)]}
    with tempfile.TemporaryDirectory(prefix="attnkit-translate-") as scratch:
        average = averaged(run, args.average, Path(scratch))
        if average is not None:
            report["checkpoints"].append(measure(average, args.data_dir))
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
