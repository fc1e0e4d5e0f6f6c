"""The image-to-sequence pipeline's commands: molecule images to SMILES, or any image-to-text data.

- `attnkit train molecules [--minutes M] [--set ...]`: render MOSES molecules and train
- `attnkit train img2seq --csv FILE [--images DIR] [--val-csv FILE] [--tokenizer smiles|characters]`
- `attnkit eval RUN [--split test|test_scaffolds] [--limit N] [--csv FILE] [--beam N]`: JSON
- `attnkit predict RUN molecule.png ... [--attention out.png] [--beam N] [--prefer-valid]
  [--json] [--n-best K] [--include-attention]`
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from attnkit.errors import AttnkitError
from attnkit.files import check_writable
from attnkit.pipelines.arguments import (
    add_beam_argument,
    add_device_arguments,
    add_run_arguments,
)
from attnkit.pipelines.records import (
    RecordWriter,
    add_attention_argument,
    add_format_arguments,
    add_n_best_argument,
    check_n_best,
    rounded,
)

if TYPE_CHECKING:
    from attnkit.pipelines.img2seq.predictor import ImageReader, Reading

__all__ = ["add_eval_arguments", "add_predict_arguments", "add_train_arguments", "evaluate",
           "predict"]


def add_train_arguments(parser: argparse.ArgumentParser, task: str) -> None:
    """`attnkit train molecules` and `attnkit train img2seq --csv FILE` (your own images)."""
    add_run_arguments(parser, "molecules")
    if task != "img2seq":
        return
    parser.add_argument("--csv", required=True, type=Path, help="CSV with columns file,target")
    parser.add_argument("--images", type=Path, help="image folder (default: the CSV's folder)")
    parser.add_argument("--val-csv", type=Path, help="validation CSV (default: hold out "
                        "data.val_fraction of --csv)")
    parser.add_argument("--tokenizer", choices=("smiles", "characters"),
                        help="targets are SMILES (default) or plain text")
    parser.add_argument("--invalid-smiles", choices=("skip", "reject"),
                        help="SMILES targets RDKit cannot parse: skip them with a count "
                        "(default) or stop with an error")


def add_search_arguments(parser: argparse.ArgumentParser) -> None:
    add_beam_argument(parser)
    parser.add_argument("--prefer-valid", action="store_true", default=None,
                        help="with a beam, prefer the best output RDKit parses")
    add_device_arguments(parser, "cpu", 250, "images per search batch")


def add_eval_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--split", default="test", choices=("val", "test", "test_scaffolds"),
                        help="molecules to render and score: the run's validation molecules "
                        "(val, carved from MOSES train: choose settings here) or a MOSES test "
                        "split (default: test)")
    parser.add_argument("--limit", type=int, default=2000, help="first N molecules of the split")
    parser.add_argument("--data-dir", help="data folder (default: $ATTNKIT_DATA)")
    parser.add_argument("--csv", type=Path, help="score your own file,target CSV instead")
    parser.add_argument("--images", type=Path, help="image folder of --csv")
    parser.add_argument("--json", action="store_true", help="the metrics are always one JSON "
                        "object on standard output; accepted as on every command")
    parser.epilog = ('JSON: {"images", "skipped_invalid_targets", "exact_match", ... the '
                     'scores of the outputs against the references (molecules: canonical '
                     'SMILES, validity, Tanimoto, token accuracy, Levenshtein), '
                     '"images_per_second"}')
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
    from attnkit.pipelines.img2seq.data import moses_selection

    if args.split == "val":
        smiles = moses_selection(reader.recipe.data, args.data_dir)[1][: args.limit]
    else:
        smiles = load_moses(args.split, args.data_dir, args.limit, download_if_missing=True)
    cache = Path(reader.recipe.data.cache_dir).expanduser()
    rendered = render_cache(smiles, reader.recipe.render, cache, label=f"render {args.split}")
    return rendered.images, rendered.smiles, 0  # written as the run writes them (token metrics)


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
    parser.add_argument("images", nargs="+", help="image files (PNG, JPEG, ...), folders "
                        "(their images, recursively) or quoted patterns such as 'scans/*.png'")
    parser.add_argument("--attention", type=Path, metavar="PNG", help="write the first image "
                        "with the attention grid of each output token overlaid")
    add_format_arguments(parser)
    add_n_best_argument(parser, "outputs, with their scores and confidence (the beam must "
                        "be at least K wide; --prefer-valid plays no part in them)")
    add_attention_argument(parser, "tokens, attention (a row per output token, a column per "
                           "position of the model's grid_size x grid_size grid, row by row) "
                           "and grid_size")
    parser.epilog = ('JSON: a list with an object per image, in order: {"file", "smiles", '
                     '"canonical_smiles" (null when RDKit cannot parse it), "valid", '
                     '"confidence": the probability of the output, "atoms": [{"token", "x", '
                     '"y"}]} for molecule runs, {"file", "output", "confidence"} for text '
                     'runs; with --n-best, "n_best": [{"smiles" or "output", "score": its '
                     'log-probability, "normalized_score": score / (tokens + 1)**'
                     'decode.length_penalty, the beam\'s ranking, "confidence", and for '
                     'molecules "canonical_smiles" and "valid"}, ...] best first; with '
                     '--include-attention, "tokens" (T), "attention" (T x P) and "grid_size". '
                     'An image that cannot be read is {"file", "error"} (also printed to '
                     'standard error; exit status 1).')
    add_search_arguments(parser)


def predict(args: argparse.Namespace) -> int:
    """One record per image (see `records`): `file<TAB>output<TAB>confidence` as text; JSON and
    CSV add, for molecules, the canonical SMILES, validity and each atom's image position.
    An image that cannot be read is reported and the others are read; the exit status is then 1."""
    from attnkit.data.images import image_paths
    from attnkit.pipelines.img2seq.predictor import ImageReader, prediction_record

    paths = image_paths(args.images)
    if args.attention is not None:
        if args.attention.suffix.lower() != ".png":
            raise AttnkitError(f"attention image must end in .png, got {args.attention}")
        check_writable(args.attention)
    reader = ImageReader.from_checkpoint(args.checkpoint, args.device)
    check_n_best(args.n_best, args.beam or reader.recipe.decode.beam_width,
                 args.beam is not None)
    columns = ["file", "smiles", "canonical_smiles", "valid", "confidence", "atoms"] \
        if reader.molecules else ["file", "output", "confidence"]
    optional = (["n_best"] if args.n_best else []) + \
        (["tokens", "attention", "grid_size"] if args.include_attention else [])
    writer = RecordWriter(args.format, [*columns, *optional, "error"],
                          [columns[0], columns[1], "confidence"])
    failed, first = 0, None
    for start in range(0, len(paths), args.batch_size):
        chunk, images, placements = paths[start: start + args.batch_size], [], []
        for path in chunk:
            try:
                image, placement = reader.load_placed(path)
            except AttnkitError as error:
                image, placement = None, str(error)
            images.append(image)
            placements.append(placement)
        readable = [image for image in images if image is not None]
        readings = iter(reader.read(np.stack(readable), args.beam, args.prefer_valid,
                                    args.batch_size) if readable else [])
        n_best = iter(reader.read_n_best(np.stack(readable), args.n_best, args.beam,
                                         args.batch_size) if readable and args.n_best else [])
        for path, image, placement in zip(chunk, images, placements, strict=True):
            if image is None:
                failed += 1
                writer.write({"file": str(path), "error": placement})
                continue
            reading = next(readings)
            first = first or (image, reading, path)
            record = prediction_record(str(path), reading, placement, reader.molecules)
            writer.write(with_options(record, reading, next(n_best, []), reader, args))
    writer.close()
    if args.attention is not None and first is not None:
        write_attention(args.attention, *first)
    return 1 if failed else 0


def with_options(record: dict, reading: Reading, n_best: list[Reading], reader: ImageReader,
                 args: argparse.Namespace) -> dict:
    """The record with what --n-best and --include-attention ask for."""
    key = "smiles" if reader.molecules else "output"
    if args.n_best:
        penalty = reader.recipe.decode.length_penalty
        record["n_best"] = []
        for other in n_best:
            entry = {key: other.text, "score": other.score, "normalized_score": other.score /
                     (len(other.tokens) + int(other.finished)) ** penalty,
                     "confidence": round(other.confidence, 4)}
            if reader.molecules:
                entry.update(canonical_smiles=other.canonical, valid=other.valid)
            record["n_best"].append(entry)
    if args.include_attention:
        record["tokens"] = reading.tokens
        record["attention"] = None if reading.attention is None else rounded(reading.attention)
        record["grid_size"] = reader.recipe.model.grid_size
    return record


def write_attention(path: Path, image: np.ndarray, reading: Reading, source: Path) -> None:
    from attnkit.viz.attention_overlay import plot_attention_strip

    if reading.attention is None or not reading.tokens:
        raise AttnkitError(f"{source} gave an empty output: no attention to draw")
    plot_attention_strip(image, reading.attention, reading.tokens, path,
                         title=f"{source.name}: {reading.text}", points=reading.points)
    print(f"attention written to {path}", file=sys.stderr)
