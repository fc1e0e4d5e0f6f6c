"""Benchmark of issue 3: date normalisation with the book's settings, for all three models.

Prints one JSON object: per model, seconds per training epoch on 45,000 generated pairs
(embedding 16, hidden 256, batch 128, Adam, clip 5.0, reversed input, length-bucketed batches)
and held-out exact match after each epoch on 5,000 pairs disjoint from training; then batched
greedy decoding throughput of the attention model (dates/s) on the 5,000 test pairs.

    .venv/bin/python bench/dates.py [--epochs 3] [--models plain,peeky,attention]
    .venv/bin/python bench/dates.py --models transformer,residual_lstm  # their recipe sections

`--from-run RUN` (a run, checkpoint or shipped name such as `dates`) trains nothing: it measures
that model's greedy throughput on the recipe's 5,000 test pairs under each runtime, torch and
ONNX Runtime (fp32, exported to a temporary folder first).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import sys
import tempfile
import time
from pathlib import Path

import torch

from attnkit.engine.sequence_metrics import exact_match
from attnkit.pipelines.exporting import runtime_checkpoint
from attnkit.pipelines.seq2seq.data import build_splits, build_vocabulary
from attnkit.pipelines.seq2seq.predictor import Translator
from attnkit.pipelines.seq2seq.recipe import Seq2seqRecipe
from attnkit.pipelines.seq2seq.training import train_torch
from attnkit.recipe import load_recipe, recipe_to_dict
from attnkit.run.checkpoint import resolve_checkpoint


def greedy_throughput(translator: Translator, sources: list[str], targets: list[str],
                      repeats: int, batch_size: int) -> dict[str, float]:
    """Text in, text and attention out (checks, batching, search, decoding), best of repeats."""
    best, cpu = float("inf"), 0.0
    for _ in range(repeats):
        started, started_cpu = time.perf_counter(), time.process_time()
        outputs = [t.output for t in translator.predict(sources, batch_size=batch_size)]
        if time.perf_counter() - started < best:
            best, cpu = time.perf_counter() - started, time.process_time() - started_cpu
    return {"dates_per_second": round(len(sources) / best), "seconds": round(best, 3),
            "cpu_seconds": round(cpu, 3), "batch_size": batch_size,
            "test_exact_match": exact_match(outputs, targets), "pairs": len(sources)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--models", default="plain,peeky,attention")
    parser.add_argument("--repeats", type=int, default=3, help="greedy timing repeats (best of)")
    parser.add_argument("--decode-batch", type=int, default=500, help="greedy batch size")
    parser.add_argument("--set", dest="overrides", action="append", default=[],
                        help="recipe override, e.g. train.lr=0.005")
    parser.add_argument("--from-run", metavar="RUN", help="measure this model under each runtime "
                        "instead of training")
    args = parser.parse_args()
    recipe = load_recipe(Seq2seqRecipe, "dates", [f"train.epochs={args.epochs}", *args.overrides])
    splits = build_splits(recipe.data)
    if args.from_run:
        report = {"run": args.from_run, "torch_threads": torch.get_num_threads()}
        for runtime in ("torch", "onnx"):  # int8 quantises classifiers only
            with runtime_checkpoint(resolve_checkpoint(args.from_run), runtime) as path:
                report[f"greedy_{runtime}"] = greedy_throughput(
                    Translator.from_checkpoint(path), splits.test_sources, splits.test_targets,
                    args.repeats, args.decode_batch)
        print(json.dumps(report, indent=1))
        return
    vocab = build_vocabulary(recipe.data, splits)
    report: dict = {"torch_threads": torch.get_num_threads(), "recipe": recipe_to_dict(recipe),
                    "train_pairs": len(splits.train_sources),
                    "held_out_pairs": len(splits.val_sources), "models": {}}
    with tempfile.TemporaryDirectory() as folder:
        for kind in args.models.split(","):
            kind_recipe = dataclasses.replace(recipe,
                                              model=dataclasses.replace(recipe.model, kind=kind))
            started_cpu = time.process_time()
            with contextlib.redirect_stdout(sys.stderr):  # epoch lines; stdout is the JSON
                history = train_torch(kind_recipe, splits, vocab, Path(folder) / kind)
            report["models"][kind] = {
                "seconds_per_epoch": [round(r["train_seconds"], 2) for r in history],
                "val_exact_match": [r["val_exact_match"] for r in history],
                "cpu_seconds_train_and_eval": round(time.process_time() - started_cpu, 1),
            }
        if "attention" in report["models"]:
            translator = Translator.from_checkpoint(Path(folder) / "attention" / "last.safetensors")
            report["greedy_attention"] = greedy_throughput(
                translator, splits.test_sources, splits.test_targets, args.repeats,
                args.decode_batch)
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
