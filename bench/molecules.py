"""Benchmark of issue 6: molecule images -> SMILES, trained on rendered MOSES molecules.

Renders the recipe's training/validation molecules (or finds them in the render cache), trains
under the recipe's time budget (`--minutes` overrides it), then reads the first `--test-size`
molecules of the MOSES test split with greedy search, and with the recipe's beam search when it
has one. Prints one JSON object: rendering images/s, training images/s and time, the
accuracy-against-training-time curve (one point per epoch, validation set), test exact match /
validity / Tanimoto / token accuracy / Levenshtein and batched inference images/s of each search.

    .venv/bin/python bench/molecules.py [--config molecules] [--minutes 40] [--set key=value]
        [--test-size 2000] [--threads 2] [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

import torch

from attnkit.data.molecule_render import render_cache, render_smiles
from attnkit.data.moses import load_moses
from attnkit.pipelines.img2seq.data import build_splits, encode_targets
from attnkit.pipelines.img2seq.predictor import ImageReader
from attnkit.pipelines.img2seq.recipe import Img2SeqRecipe
from attnkit.pipelines.img2seq.training import text_scores, train
from attnkit.recipe import load_recipe


def curve(history: list[dict]) -> list[dict]:
    """Validation metrics against cumulative training minutes, one point per epoch."""
    points, minutes = [], 0.0
    for record in history:
        minutes += record["train_seconds"] / 60
        points.append({"epoch": record["epoch"], "train_minutes": round(minutes, 2),
                       "val_exact_match": record.get("val_exact_match"),
                       "val_validity": record.get("val_validity"),
                       "val_loss": round(record.get("val_loss", float("nan")), 4)})
    return points


def render_speed(recipe: Img2SeqRecipe, data_dir: str | None, count: int = 200) -> dict:
    """Images/s of one process drawing molecules plainly and with augmentation."""
    smiles = load_moses("test", data_dir, count)
    rates = {}
    for augment in (False, True):
        started = time.perf_counter()
        for i, text in enumerate(smiles):
            render_smiles(text, recipe.render, augment, i)
        rates["augmented" if augment else "plain"] = round(count / (time.perf_counter()
                                                                    - started), 1)
    return rates


def test_scores(run_dir: Path, recipe: Img2SeqRecipe, args: argparse.Namespace) -> dict:
    smiles = load_moses("test", args.data_dir, args.test_size, download_if_missing=True)
    images = render_cache(smiles, recipe.render, Path(recipe.data.cache_dir).expanduser(),
                          workers=recipe.data.render_workers, label="render test")
    reader = ImageReader.from_checkpoint(run_dir, "auto")
    reader.read(images[:8], beam_width=1)  # warm-up
    scores = {"test_molecules": len(smiles)}
    searches = {"test_greedy": (1, False)}
    decode = recipe.decode
    if decode.beam_width > 1:
        valid = "_prefer_valid" if decode.prefer_valid else ""
        searches[f"test_beam{decode.beam_width}{valid}"] = (decode.beam_width,
                                                             decode.prefer_valid)
    for prefix, (beam_width, prefer_valid) in searches.items():
        started = time.perf_counter()
        readings = reader.read(images, beam_width, prefer_valid, batch_size=args.batch_size)
        seconds = time.perf_counter() - started
        scores[f"{prefix}_images_per_second"] = len(smiles) / seconds
        scores.update({f"{prefix}_{k}": v for k, v in
                       text_scores([r.text for r in readings], smiles, True).items()})
    return scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="molecules")
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    parser.add_argument("--minutes", type=float, help="training time budget (overrides the "
                        "recipe's train.time_limit_minutes)")
    parser.add_argument("--test-size", type=int, default=2000)
    parser.add_argument("--batch-size", type=int, default=250, help="inference batch size")
    parser.add_argument("--threads", type=int, help="torch.set_num_threads")
    parser.add_argument("--data-dir", help="data folder (default: $ATTNKIT_DATA)")
    parser.add_argument("--run-dir", type=Path, help="keep the run here (default: temporary)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    overrides = list(args.overrides)
    if args.minutes is not None:
        overrides.append(f"train.time_limit_minutes={args.minutes}")
    recipe = load_recipe(Img2SeqRecipe, args.config, overrides)
    load_before = os.getloadavg()
    render_rate = render_speed(recipe, args.data_dir)
    started = time.perf_counter()
    splits = build_splits(recipe, args.data_dir)
    render_seconds = time.perf_counter() - started
    encoded = encode_targets(splits, recipe)
    with tempfile.TemporaryDirectory() as folder:
        run_dir = args.run_dir or Path(folder) / "run"
        started = time.perf_counter()
        history = train(recipe, splits, encoded, run_dir)
        wall = time.perf_counter() - started
        trained = sum(r["train_seconds"] for r in history)
        images_seen = sum(r["train_seconds"] * r["train_items_per_second"] for r in history)
        report = {
            "config": args.config, "overrides": overrides, "torch_threads": torch.get_num_threads(),
            "train_molecules": len(encoded.train_ids), "val_molecules": len(splits.val_targets),
            "max_length": encoded.max_length, "skipped": splits.skipped,
            "render_images_per_second_one_process": render_rate,
            "render_or_cache_seconds": round(render_seconds, 1),
            "train_images_per_second": round(images_seen / trained, 1),
            "training_minutes": round(trained / 60, 2),
            "training_wall_minutes_with_validation": round(wall / 60, 2),
            "epochs": len(history), "curve": curve(history),
            **test_scores(run_dir, recipe, args),
            "machine": {"platform": platform.platform(), "cpu_count": os.cpu_count(),
                        "torch": torch.__version__, "load_average_before": load_before,
                        "load_average_after": os.getloadavg()},
        }
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
