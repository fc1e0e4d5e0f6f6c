"""`attnkit compare`: train plain, peeky and attention seq2seq on the same data and plot held-out
exact match per epoch (the book's figure), with a table of the results."""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

from attnkit.files import write_text_atomically
from attnkit.models.seq2seq_kinds import BOOK_KINDS
from attnkit.pipelines.arguments import add_run_arguments, recipe_from_args, run_folder
from attnkit.pipelines.seq2seq.data import build_splits, build_vocabulary
from attnkit.pipelines.seq2seq.recipe import Seq2seqRecipe
from attnkit.viz.comparison import plot_comparison

MODEL_KINDS = ("plain", "peeky", "attention")  # the book's figure, the default
KNOWN_KINDS = (*BOOK_KINDS, "residual_lstm", "transformer")


def add_arguments(parser: argparse.ArgumentParser, verb: str) -> None:
    """`attnkit compare [--models plain,peeky,attention,transformer,...]`."""
    add_run_arguments(parser, "dates_compare")
    parser.add_argument("--models", default=",".join(MODEL_KINDS),
                        help="comma-separated model kinds of "
                        f"{', '.join(KNOWN_KINDS)} (default: plain,peeky,attention)")
    parser.set_defaults(func=compare_command)


def compare_command(args: argparse.Namespace) -> int:
    from attnkit.errors import AttnkitError
    from attnkit.pipelines.seq2seq.training import train_torch

    kinds = [kind.strip() for kind in args.models.split(",") if kind.strip()]
    unknown = sorted(set(kinds) - set(KNOWN_KINDS))
    if unknown or not kinds:
        raise AttnkitError(f"--models: unknown kinds {unknown}; choose from {KNOWN_KINDS}")
    if args.resume is not None:
        raise AttnkitError("compare cannot resume; resume a model's own run folder instead")
    recipe = recipe_from_args(Seq2seqRecipe, args)
    splits = build_splits(recipe.data)
    vocab = build_vocabulary(recipe.data, splits)
    with run_folder(args, "compare", recipe) as run_dir:
        histories = {}
        for kind in kinds:
            model_recipe = dataclasses.replace(
                recipe, model=dataclasses.replace(recipe.model, kind=kind))
            print(f"training {kind} seq2seq into {run_dir / kind}")
            histories[kind] = train_torch(model_recipe, splits, vocab, run_dir / kind)
        write_comparison(histories, run_dir)
    print(comparison_table(histories))
    print(f"saved comparison to {run_dir}/comparison.png, comparison.md, comparison.json")
    return 0


def comparison_table(histories: dict[str, list[dict]]) -> str:
    """A Markdown table: final and best exact match, character accuracy, seconds per epoch."""
    lines = ["| model | epochs | final exact match | best exact match | char accuracy | s/epoch |",
             "|---|---|---|---|---|---|"]
    for kind, history in histories.items():
        final = history[-1]
        best = max(record["val_exact_match"] for record in history)
        seconds = sum(record["train_seconds"] for record in history) / len(history)
        lines.append(f"| {kind} | {len(history)} | {final['val_exact_match']:.4f} | {best:.4f} "
                     f"| {final['val_char_accuracy']:.4f} | {seconds:.1f} |")
    return "\n".join(lines)


def write_comparison(histories: dict[str, list[dict]], run_dir: Path) -> None:
    plot_comparison(histories, "val_exact_match", run_dir / "comparison.png",
                    "held-out exact match")
    write_text_atomically(run_dir / "comparison.md", comparison_table(histories) + "\n")
    write_text_atomically(run_dir / "comparison.json", json.dumps(histories, indent=1))
