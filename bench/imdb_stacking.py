"""The stacking settings of a classify recipe (n-gram order and minimum count, the branch's
learning rate and epochs), searched on the validation split with the attention model fixed.

Trains the recipe's attention model once (or takes a finished run of it with `--run`), then
stacks it with an n-gram branch for every setting of the grid, fits each blend on validation,
and keeps the setting with the best validation accuracy (lower validation loss breaks ties).
The test split reports the chosen setting and the recipe's own setting only; nothing is
selected on it. Prints one JSON object.

    ATTNKIT_DATA=../shared/data .venv/bin/python bench/imdb_stacking.py [--recipe imdb_plus]
        [--run RUN] [--orders 2 3] [--min-counts 2 5] [--lrs 0.01 0.02 0.05] [--epochs 2 4]
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import platform
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import torch

from attnkit.data.sources import resolve_data_dir
from attnkit.models.classifier import AttentionClassifier, ClassifierConfig
from attnkit.pipelines.classify.data import PreparedData, eval_loader, prepare_imdb
from attnkit.pipelines.classify.recipe import ClassifyRecipe, NgramBranchConfig
from attnkit.pipelines.classify.stacking import stack_ngram_branch
from attnkit.pipelines.classify.training import ClassificationTraining, train_classifier
from attnkit.recipe import load_recipe, recipe_from_dict
from attnkit.run.checkpoint import load_checkpoint, strip_prefix


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--recipe", default="imdb_plus")
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    parser.add_argument("--run", type=Path, help="a finished run of the recipe (its best "
                        "checkpoint's attention model is stacked)")
    parser.add_argument("--orders", type=int, nargs="+", default=[2, 3])
    parser.add_argument("--min-counts", type=int, nargs="+", default=[2, 5])
    parser.add_argument("--lrs", type=float, nargs="+", default=[0.01, 0.02, 0.05])
    parser.add_argument("--epochs", type=int, nargs="+", default=[2, 4])
    parser.add_argument("--data-dir", help="data folder (default: $ATTNKIT_DATA)")
    return parser.parse_args()


def attention_model(run_dir: Path) -> AttentionClassifier:
    """The attention half of the run's best checkpoint."""
    checkpoint = load_checkpoint(run_dir / "best.safetensors")
    model = AttentionClassifier(recipe_from_dict(ClassifierConfig, checkpoint.meta["model"]))
    state = checkpoint.model_state
    if checkpoint.meta.get("ngrams") is not None:
        state = strip_prefix(state, "attention.")
    model.load_state_dict(state)
    return model.eval()


def stacked_scores(run_dir: Path, data: PreparedData, branch: NgramBranchConfig, seed: int,
                   splits: tuple[str, ...]) -> dict:
    """Validation (and test) loss and accuracy of the run's attention model stacked anew."""
    with contextlib.redirect_stdout(sys.stderr):
        model = stack_ngram_branch(attention_model(run_dir), data, branch, seed)
    task, scores = ClassificationTraining(len(data.class_names)), {}
    with torch.no_grad():
        for split in splits:
            metrics = task.evaluate(model, eval_loader(getattr(data, split), 256))
            scores |= {f"{split}_accuracy": round(metrics["accuracy"], 4),
                       f"{split}_loss": round(metrics["loss"], 4)}
    return scores


def main() -> None:
    args = parse_arguments()
    recipe = load_recipe(ClassifyRecipe, args.recipe, args.overrides)
    data_dir = resolve_data_dir(args.data_dir)
    report: dict = {"recipe": args.recipe, "overrides": args.overrides}
    run_dir = args.run
    if run_dir is None:
        run_dir = Path(tempfile.mkdtemp(prefix="attnkit-bench-stacking-")) / "run"
        started = time.perf_counter()
        data = prepare_imdb(recipe.data, data_dir, recipe.train.seed)
        with contextlib.redirect_stdout(sys.stderr):
            history = train_classifier(recipe, data, run_dir, {"kind": "imdb"})
        report["attention_training_seconds"] = round(time.perf_counter() - started, 1)
        report["attention_validation_accuracy_per_epoch"] = [
            round(record["val_accuracy"], 4) for record in history]
    report["run"] = str(run_dir)
    grid, started = [], time.perf_counter()
    for order, min_count in itertools.product(args.orders, args.min_counts):
        data = prepare_imdb(replace(recipe.data, ngram_order=order, ngram_min_count=min_count),
                            data_dir, recipe.train.seed)
        for lr, epochs in itertools.product(args.lrs, args.epochs):
            branch = replace(recipe.ngram_branch, lr=lr, epochs=epochs)
            setting = {"ngram_order": order, "ngram_min_count": min_count, "lr": lr,
                       "epochs": epochs}
            grid.append(setting | stacked_scores(run_dir, data, branch, recipe.train.seed,
                                                 ("validation",)))
            print(json.dumps(grid[-1]), file=sys.stderr)
    report["search_seconds"] = round(time.perf_counter() - started, 1)
    report["grid"] = grid
    chosen = max(grid, key=lambda row: (row["validation_accuracy"], -row["validation_loss"]))
    recipe_setting = {"ngram_order": recipe.data.ngram_order,
                      "ngram_min_count": recipe.data.ngram_min_count,
                      "lr": recipe.ngram_branch.lr, "epochs": recipe.ngram_branch.epochs}
    for name, setting in (("chosen", chosen), ("recipe", recipe_setting)):
        keys = ("ngram_order", "ngram_min_count", "lr", "epochs")
        data = prepare_imdb(replace(recipe.data, ngram_order=setting["ngram_order"],
                                    ngram_min_count=setting["ngram_min_count"]),
                            data_dir, recipe.train.seed)
        branch = replace(recipe.ngram_branch, lr=setting["lr"], epochs=setting["epochs"])
        report[name] = {key: setting[key] for key in keys} | stacked_scores(
            run_dir, data, branch, recipe.train.seed, ("validation", "test"))
    attention = attention_model(run_dir)
    data = prepare_imdb(replace(recipe.data, ngram_order=0), data_dir, recipe.train.seed)
    with torch.no_grad():
        for split in ("validation", "test"):
            metrics = ClassificationTraining(2).evaluate(attention,
                                                         eval_loader(getattr(data, split), 256))
            report[f"attention_alone_{split}_accuracy"] = round(metrics["accuracy"], 4)
    report["machine"] = {"platform": platform.platform(), "cpu_count": os.cpu_count(),
                         "torch": torch.__version__}
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
