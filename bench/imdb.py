"""IMDB benchmark of a classify recipe: training time, test accuracy per epoch, inference speed.

Trains the recipe from scratch on the IMDB train split (minus its validation share, which picks
the best epoch), and after each epoch also reports test accuracy (reported only: nothing is
selected on it). A recipe without a validation share (data.validation_fraction=0) trains on
all 25,000 reviews, as the Keras tutorial does; it must then monitor a training metric.
A recipe with data.ngram_order stacks the n-gram branch after training (included in the
total training time) and reports the stacked model's validation metrics.
Then, with the best checkpoint: test accuracy, batched inference throughput
(model only, on encoded reviews, and end to end from raw text), and single-review
latency (end to end); then the same for the best checkpoint exported to ONNX and run under ONNX
Runtime, in fp32 (`onnx_fp32_*`) and with int8 weights (`onnx_int8_*`, dynamic quantisation),
each with its own test accuracy (reported only).

Inference runs each runtime's own default batch (`TextClassifier.batch_size`: torch 32 on a CPU,
ONNX Runtime 16 with two batches at once, `OnnxModule`).
`--from-run RUN` skips training and measures a run trained with the recipe (a shipped model's
run, say).

Usage: ATTNKIT_DATA=../shared/data .venv/bin/python bench/imdb.py --recipe imdb [--set k=v]
Prints one JSON object. Never part of the test run.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

from attnkit.data.imdb import find_imdb_source, read_imdb
from attnkit.data.sources import resolve_data_dir
from attnkit.pipelines.classify.data import eval_loader, prepare_imdb
from attnkit.pipelines.classify.predictor import TextClassifier
from attnkit.pipelines.classify.recipe import ClassifyRecipe
from attnkit.pipelines.classify.training import ClassificationTraining, train_classifier
from attnkit.pipelines.exporting import write_onnx
from attnkit.recipe import load_recipe, recipe_to_dict
from attnkit.run.checkpoint import load_checkpoint, read_header

BATCH = 256


class TestReporting(ClassificationTraining):
    """Measures test accuracy after each epoch, kept out of the metrics the trainer logs and
    selects on (so no monitor can name it), and the process CPU seconds of each epoch's
    training (less sensitive than wall time to other processes on a shared machine)."""

    def __init__(self, num_classes: int, test_loader) -> None:
        super().__init__(num_classes)
        self.test_loader = test_loader
        self.cpu_seconds: list[float] = []
        self.test_accuracy: list[float] = []
        self.mark = time.process_time()

    def evaluate(self, model, loader):
        self.cpu_seconds.append(time.process_time() - self.mark)
        test = super().evaluate(model, self.test_loader)
        self.test_accuracy.append(test["accuracy"])
        # Without a validation share the trainer is handed the test loader only to call this
        # after each epoch: it then logs no val_ metrics at all.
        metrics = {} if loader is self.test_loader else super().evaluate(model, loader)
        self.mark = time.process_time()
        return metrics


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--recipe", default="imdb", help="recipe name or YAML (imdb, imdb_plus)")
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    parser.add_argument("--data-dir", help="data folder (default: $ATTNKIT_DATA)")
    parser.add_argument("--run-dir", type=Path, help="keep the run here (default: a temp dir)")
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: torch's)")
    parser.add_argument("--from-run", type=Path, metavar="RUN",
                        help="measure inference only, on this run of the recipe (no training)")
    return parser.parse_args()


def inference_numbers(classifier: TextClassifier, texts: list[str], labels: list[int],
                      batch: int, repeats: int = 3) -> dict:
    """Test accuracy, reviews/s on reviews the classifier encoded beforehand (model only) and
    from raw text (end to end, every 5th review), each the median of `repeats` runs (all runs
    listed: the machine's speed varies), and single-review latency, at `batch`."""
    encoded = classifier.dataset([classifier.encode_lenient(text) for text in texts])
    classifier.predict_encoded(encoded.take(range(batch)), batch)  # warm-up
    model_rates = []
    for _ in range(repeats):
        started = time.perf_counter()
        predictions = classifier.predict_encoded(encoded, batch)
        model_rates.append(len(texts) / (time.perf_counter() - started))
    correct = sum(classifier.class_names.index(p.label) == label
                  for p, label in zip(predictions, labels, strict=True))
    sample = texts[::5]
    end_to_end_rates = []
    for _ in range(repeats):
        started = time.perf_counter()
        classifier.predict(sample, batch)
        end_to_end_rates.append(len(sample) / (time.perf_counter() - started))
    latencies = []
    for text in texts[::500]:
        started = time.perf_counter()
        classifier.predict([text])
        latencies.append(time.perf_counter() - started)
    return {
        "test_accuracy_best_checkpoint": correct / len(texts),
        "inference_batch": batch,
        "inference_reviews_per_second_model": statistics.median(model_rates),
        "inference_reviews_per_second_model_runs": [round(rate) for rate in model_rates],
        "inference_reviews_per_second_end_to_end": statistics.median(end_to_end_rates),
        "inference_reviews_per_second_end_to_end_runs": [round(r) for r in end_to_end_rates],
        "end_to_end_reviews": len(sample),
        "single_review_latency_ms_median": 1000 * statistics.median(latencies),
        "single_review_latency_ms_max": 1000 * max(latencies),
    }


def onnx_numbers(run_dir: Path, texts: list[str], labels: list[int]) -> dict:
    """`inference_numbers` of the best checkpoint exported to ONNX, fp32 and int8, under ONNX
    Runtime at its own batch size and concurrency (`OnnxModule`), keys prefixed onnx_fp32_ /
    onnx_int8_."""
    numbers = {}
    checkpoint = load_checkpoint(run_dir / "best.safetensors")
    with tempfile.TemporaryDirectory(prefix="attnkit-bench-onnx-") as folder:
        for name, int8 in (("fp32", False), ("int8", True)):
            path = Path(folder) / f"{name}.onnx"
            started = time.perf_counter()
            write_onnx(checkpoint, path, int8)
            numbers[f"onnx_{name}_export_seconds"] = time.perf_counter() - started
            numbers[f"onnx_{name}_file_megabytes"] = path.stat().st_size / 1e6
            classifier = TextClassifier.from_checkpoint(path, "cpu")
            found = inference_numbers(classifier, texts, labels, classifier.batch_size)
            for key, value in found.items():
                key = key.replace("inference_", "").replace("_best_checkpoint", "")
                numbers[f"onnx_{name}_{key}"] = value
    return numbers


def training_numbers(recipe: ClassifyRecipe, data_dir: Path, run_dir: Path) -> dict:
    """Trains the recipe into `run_dir`: time, and accuracy per epoch (test: reported only)."""
    started = time.perf_counter()
    data = prepare_imdb(recipe.data, data_dir, recipe.train.seed)
    data_seconds = time.perf_counter() - started
    task = TestReporting(len(data.class_names), eval_loader(data.test, BATCH))
    if data.validation is None and recipe.train.monitor.startswith("val_"):
        raise SystemExit(f"error: without a validation share there is nothing to select on: "
                         f"train.monitor {recipe.train.monitor!r} needs a train_ metric")
    started = time.perf_counter()
    with contextlib.redirect_stdout(sys.stderr):  # progress lines; stdout is the JSON alone
        history = train_classifier(recipe, data, run_dir, {"kind": "imdb"}, task=task,
                                   validation=None if data.validation else task.test_loader)
    return {
        "train_reviews": len(data.train),
        "validation_reviews": len(data.validation) if data.validation else 0,
        "test_reviews": len(data.test),
        "data_load_seconds": data_seconds,
        "seconds_per_epoch": [record["train_seconds"] for record in history],
        "cpu_seconds_per_epoch": task.cpu_seconds[:len(history)],  # not the stacked evaluation
        "test_accuracy_per_epoch": task.test_accuracy[:len(history)],  # reported only
        "validation_accuracy_per_epoch": ([record["val_accuracy"] for record in history]
                                          if data.validation else None),
        "train_loss_per_epoch": [record["train_loss"] for record in history],
        "best_checkpoint_stacked_validation": read_header(
            run_dir / "best.safetensors").get("stacked_metrics"),
        "total_training_seconds_with_evaluation": time.perf_counter() - started,
    }


def main() -> None:
    args = parse_arguments()
    if args.threads:
        torch.set_num_threads(args.threads)
    load_before = os.getloadavg()
    recipe = load_recipe(ClassifyRecipe, args.recipe, args.overrides)
    data_dir = resolve_data_dir(args.data_dir)
    if args.from_run:
        run_dir, trained = args.from_run, {"from_run": str(args.from_run)}
    else:
        run_dir = args.run_dir or Path(tempfile.mkdtemp(prefix="attnkit-bench-imdb-"))
        trained = training_numbers(recipe, data_dir, run_dir)
    classifier = TextClassifier.from_checkpoint(run_dir, "cpu")
    test = read_imdb(find_imdb_source(data_dir))["test"]
    result = {
        "recipe": args.recipe,
        "overrides": args.overrides,
        **trained,
        **inference_numbers(classifier, test.texts, test.labels, classifier.batch_size),
        **onnx_numbers(run_dir, test.texts, test.labels),
        "settings": recipe_to_dict(recipe),
        "run_dir": str(run_dir),
        "machine": {"platform": platform.platform(), "processor": platform.processor(),
                    "cpu_count": os.cpu_count(), "torch": torch.__version__,
                    "torch_threads": torch.get_num_threads(),
                    "load_average_before": load_before, "load_average_after": os.getloadavg()},
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
