"""The image-to-sequence pipeline's commands: molecule images to SMILES, or any image-to-text data.

- `attnkit train molecules [--minutes M] [--set ...]`: render MOSES molecules and train
- `attnkit train img2seq --csv FILE [--images DIR] [--val-csv FILE] [--tokenizer smiles|characters]`
- `attnkit eval RUN [--split test|test_scaffolds] [--limit N] [--csv FILE] [--beam N]`: JSON
- `attnkit predict RUN molecule.png ... [--attention out.png] [--beam N] [--prefer-valid]`
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from attnkit.errors import AttnkitError
from attnkit.pipelines.arguments import (
    add_beam_argument,
    add_device_arguments,
    add_run_arguments,
    prepare_run_dir,
    recipe_from_args,
)
from attnkit.pipelines.img2seq.recipe import PIPELINE, Img2SeqRecipe

__all__ = ["PIPELINE", "add_eval_arguments", "add_predict_arguments", "add_train_parsers",
           "evaluate", "predict"]


def add_train_parsers(runs: argparse._SubParsersAction) -> None:
    molecules = runs.add_parser("molecules", help="molecule images -> SMILES on rendered MOSES "
                                 "molecules (needs RDKit: pip install attnkit[chem])")
    add_run_arguments(molecules, "molecules")
    molecules.set_defaults(func=train_command)
    files = runs.add_parser("img2seq", help="an image-to-text model on your own images and a "
                             "file,target CSV")
    add_run_arguments(files, "molecules")
    files.add_argument("--csv", required=True, type=Path, help="CSV with columns file,target")
    files.add_argument("--images", type=Path, help="image folder (default: the CSV's folder)")
    files.add_argument("--val-csv", type=Path, help="validation CSV (default: hold out "
                       "data.val_fraction of --csv)")
    files.add_argument("--tokenizer", choices=("smiles", "characters"),
                       help="targets are SMILES (default) or plain text")
    files.add_argument("--invalid-smiles", choices=("skip", "reject"),
                       help="SMILES targets RDKit cannot parse: skip them with a count "
                       "(default) or stop with an error")
    files.set_defaults(func=train_command)


def file_overrides(args: argparse.Namespace) -> list[str]:
    overrides = ["data.source=files", f"data.csv={args.csv}"]
    for option, key in (("images", "image_dir"), ("val_csv", "val_csv"),
                        ("tokenizer", "tokenizer"), ("invalid_smiles", "invalid_smiles")):
        if getattr(args, option) is not None:
            overrides.append(f"data.{key}={getattr(args, option)}")
    return overrides


def train_command(args: argparse.Namespace) -> int:
    from attnkit.pipelines.img2seq.data import build_splits, encode_targets
    from attnkit.pipelines.img2seq.training import train

    args.overrides = list(args.overrides)
    if getattr(args, "csv", None) is not None:
        args.overrides += file_overrides(args)
    recipe = recipe_from_args(Img2SeqRecipe, args)
    run_dir = prepare_run_dir(args, PIPELINE, recipe)  # refuse before minutes of rendering
    splits = build_splits(recipe, args.data_dir)
    encoded = encode_targets(splits, recipe)
    history = train(recipe, splits, encoded, run_dir, args.resume is not None)
    final = history[-1] if history else {}
    skipped = ", ".join(f"{count} {why}" for why, count in splits.skipped.items() if count)
    print(f"saved run to {run_dir} (val exact match "
          f"{final.get('val_exact_match', float('nan')):.4f}"
          f"{'; skipped training rows: ' + skipped if skipped else ''})")
    return 0


def add_search_arguments(parser: argparse.ArgumentParser) -> None:
    add_beam_argument(parser)
    parser.add_argument("--prefer-valid", action="store_true", default=None,
                        help="with a beam, prefer the best output RDKit parses")
    add_device_arguments(parser, "cpu", 250, "images per search batch")


def add_eval_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--split", default="test", choices=("test", "test_scaffolds"),
                        help="MOSES split to render and score (default: test)")
    parser.add_argument("--limit", type=int, default=2000, help="first N molecules of the split")
    parser.add_argument("--data-dir", help="data folder (default: $ATTNKIT_DATA)")
    parser.add_argument("--csv", type=Path, help="score your own file,target CSV instead")
    parser.add_argument("--images", type=Path, help="image folder of --csv")
    add_search_arguments(parser)


def evaluation_data(args: argparse.Namespace, reader) -> tuple[np.ndarray, list[str], int]:  # noqa: ANN001
    """Images, references and the number of rows skipped (unparsable SMILES) to score."""
    from attnkit.data.image_text import (
        canonical_molecule_rows,
        load_row_images,
        read_image_table,
    )

    if args.csv is not None:
        rows = read_image_table(args.csv, args.images)
        skipped = 0
        if reader.molecules:
            rows, skipped = canonical_molecule_rows(rows, args.csv, "skip")
        return load_row_images(rows, reader.image_size, args.csv), [r.target for r in rows], \
            skipped
    if not reader.molecules:
        raise AttnkitError("this run reads text, not molecules: pass --csv FILE to evaluate it")
    from attnkit.data.molecule_render import render_cache
    from attnkit.data.moses import load_moses

    smiles = load_moses(args.split, args.data_dir, args.limit, download_if_missing=True)
    cache = Path(reader.recipe.data.cache_dir).expanduser()
    return render_cache(smiles, reader.recipe.render, cache, label=f"render {args.split}"), \
        smiles, 0


def evaluate(args: argparse.Namespace) -> int:
    """Print the metrics of the run on a MOSES split (or --csv) as one JSON object."""
    import time

    from attnkit.pipelines.img2seq.predictor import ImageReader
    from attnkit.pipelines.img2seq.training import text_scores

    reader = ImageReader.from_checkpoint(args.checkpoint, args.device)
    images, references, skipped = evaluation_data(args, reader)
    started = time.perf_counter()
    readings = reader.read(images, args.beam, args.prefer_valid, args.batch_size)
    seconds = time.perf_counter() - started
    scores = text_scores([r.text for r in readings], references, reader.molecules)
    print(json.dumps({"images": len(references), "skipped_invalid_targets": skipped, **scores,
                      "images_per_second": len(references) / seconds}))
    return 0


def add_predict_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("images", nargs="+", type=Path, help="image files (PNG, JPEG, ...)")
    parser.add_argument("--attention", type=Path, metavar="PNG", help="write the first image "
                        "with the attention grid of each output token overlaid")
    add_search_arguments(parser)


def predict(args: argparse.Namespace) -> int:
    """Print `file<TAB>output<TAB>confidence` per image."""
    from attnkit.pipelines.img2seq.predictor import ImageReader

    reader = ImageReader.from_checkpoint(args.checkpoint, args.device)
    images = reader.load(args.images)
    readings = reader.read(images, args.beam, args.prefer_valid, args.batch_size)
    for path, reading in zip(args.images, readings, strict=True):
        print(f"{path}\t{reading.text}\t{reading.confidence:.4f}")
    if args.attention is not None:
        from attnkit.viz.attention_overlay import plot_attention_strip

        first = readings[0]
        if first.attention is None or not first.tokens:
            raise AttnkitError("the first image gave an empty output: no attention to draw")
        plot_attention_strip(images[0], first.attention, first.tokens, args.attention,
                             title=f"{args.images[0].name}: {first.text}")
        print(f"attention written to {args.attention}")
    return 0
