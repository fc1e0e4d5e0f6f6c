"""`attnkit demo` (what `make demo` runs): train the attention date model, report held-out exact
match, translate a handful of dates with their attention, and say where everything went.

Each run writes a fresh folder `runs/demo-<time>` (or `--run-dir`), never an existing one.
"""

from __future__ import annotations

import argparse
import time

from attnkit.engine.sequence_metrics import exact_match
from attnkit.pipelines.arguments import (
    add_run_arguments,
    attnkit_command,
    recipe_from_args,
    run_folder,
)
from attnkit.pipelines.seq2seq.data import build_splits, build_vocabulary
from attnkit.pipelines.seq2seq.recipe import Seq2seqRecipe

EXAMPLES = (
    "September 27, 1994",
    "Sept. 27th, 1994",
    "TUESDAY, SEPTEMBER 25, 1984",
    "2/10/93",
    "27.09.1994",
    "27 Sep 1994",
    "jun 17, 2013",
    "2004/03/01",
)


def add_arguments(parser: argparse.ArgumentParser, verb: str) -> None:
    """`attnkit demo`: what `make demo` runs."""
    add_run_arguments(parser, "dates")
    parser.set_defaults(func=demo_command)


def demo_command(args: argparse.Namespace) -> int:
    from attnkit.pipelines.seq2seq.predictor import Translator, render_text_heatmap, write_heatmap
    from attnkit.pipelines.seq2seq.training import train_torch

    started = time.perf_counter()
    recipe = recipe_from_args(Seq2seqRecipe, args)
    splits = build_splits(recipe.data)
    vocab = build_vocabulary(recipe.data, splits, args.resume)
    print(f"training the {recipe.model.kind} seq2seq on {len(splits.train_sources):,} generated "
          f"dates for {recipe.train.epochs} epochs")
    with run_folder(args, "demo", recipe) as run_dir:
        train_torch(recipe, splits, vocab, run_dir, resume=args.resume is not None)
    translator = Translator.from_checkpoint(run_dir, recipe.train.device)
    held_out = splits.test_sources or splits.val_sources
    references = splits.test_targets or splits.val_targets
    outputs = [t.output for t in translator.predict(held_out)]
    score = exact_match(outputs, references)
    print(f"\nheld-out exact match: {score:.4f} on {len(held_out):,} unseen dates")
    heatmap_dir = run_dir / "heatmaps"
    for number, translation in enumerate(translator.predict(list(EXAMPLES)), start=1):
        print(f"\n{translation.source} -> {translation.output}")
        if translation.attention is not None:
            print(render_text_heatmap(translation))
            write_heatmap(translation, heatmap_dir / f"example-{number}.png")
    minutes = (time.perf_counter() - started) / 60
    print(f"\ndone in {minutes:.1f} min. Saved in {run_dir}/: best.safetensors and "
          "last.safetensors (checkpoints), metrics.jsonl, curves.png, recipe.yaml, "
          f"heatmaps/example-*.png\ntry: {attnkit_command()} translate {run_dir} "
          f"\"March 3rd, 2021\" --heatmap march.png")
    return 0
