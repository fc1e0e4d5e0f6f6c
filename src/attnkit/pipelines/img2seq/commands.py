"""The image-to-sequence pipeline's commands: molecule images to SMILES, or any image-to-text data.

- `attnkit train molecules [--minutes M] [--set ...]`: render MOSES molecules and train
- `attnkit train img2seq --csv FILE [--images DIR] [--val-csv FILE] [--tokenizer smiles|characters]`
- `attnkit eval RUN [--split test|test_scaffolds] [--limit N] [--csv FILE] [--beam N]
  [--fallback osra]`: JSON
- `attnkit predict RUN molecule.png ... [--attention out.png] [--beam N] [--prefer-valid]
  [--json] [--n-best K] [--include-attention] [--fallback osra]` (`img2seq.osra`: OSRA reads
  the drawings the model flags)
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
from attnkit.pipelines.img2seq.osra import FALLBACKS
from attnkit.pipelines.records import (
    RecordWriter,
    add_attention_argument,
    add_format_arguments,
    add_n_best_argument,
    check_n_best,
)

if TYPE_CHECKING:
    from attnkit.pipelines.img2seq.predictor import ImageReader
    from attnkit.pipelines.img2seq.results import Reading

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
    parser.add_argument("--fallback", choices=FALLBACKS, help="have OSRA (the osra program) "
                        "read the drawings the model flags as unsure, and take its answer "
                        "where it finds a molecule (shipped molecules model)")


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


def evaluation_data(args: argparse.Namespace, reader) -> tuple[np.ndarray, list[str], int, list]:  # noqa: ANN001
    """Images, references, the number of rows skipped (unparsable SMILES) to score, and the
    image files (--csv; else an empty list)."""
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
        images = load_row_images(rows, reader.image_size, args.csv, reader.recipe.data.crop_to_ink)
        return images, [r.target for r in rows], skipped, [r.image for r in rows]
    if args.fallback:
        raise AttnkitError("--fallback osra reads image files: pass --csv FILE")
    if not reader.molecules:
        raise AttnkitError("this run reads text, not molecules: pass --csv FILE to evaluate it")
    from attnkit.data.molecule_render import render_cache
    from attnkit.data.moses import load_moses
    from attnkit.pipelines.img2seq.data import moses_selection

    data = reader.recipe.data
    if args.split == "val" and data.source == "mix":  # the run's own validation drawings
        from attnkit.pipelines.img2seq.data import mix_drawings

        drawn = mix_drawings(reader.recipe, "val", args.data_dir)
        return drawn.images[: args.limit], drawn.smiles[: args.limit], 0, []
    if args.split == "val":
        smiles = moses_selection(data, args.data_dir)[1][: args.limit]
    else:
        smiles = load_moses(args.split, args.data_dir, args.limit, download_if_missing=True)
    cache = Path(data.cache_dir).expanduser()
    rendered = render_cache(smiles, reader.recipe.render, cache, label=f"render {args.split}")
    images = rendered.images
    if data.crop_to_ink:  # read as the reader reads a user's image of the same drawing
        from attnkit.data.images import placed

        size = reader.image_size
        images = np.stack([placed(image, size, size, size, crop=True)[0] for image in images])
    return images, rendered.smiles, 0, []  # written as the run writes them (token metrics)


def evaluate(args: argparse.Namespace) -> int:
    """Print the metrics of the run on a MOSES split (or --csv) as one JSON object."""
    import time

    from attnkit.pipelines.img2seq.predictor import ImageReader, read_flagged_by_osra
    from attnkit.pipelines.img2seq.training import text_scores

    reader = ImageReader.from_checkpoint(args.checkpoint, args.device)
    if args.fallback:
        reader.check_fallback(args.fallback)
    images, references, skipped, files = evaluation_data(args, reader)
    started = time.perf_counter()
    readings = reader.predict_encoded(images, args.beam, args.prefer_valid,
                                      batch_size=args.batch_size)
    fallback = {}
    if args.fallback:
        readings = read_flagged_by_osra(readings, files, [str(file) for file in files])
        fallback = {"read_by_osra": sum(r.read_by == "osra" for r in readings) / len(readings)}
    seconds = time.perf_counter() - started
    scores = text_scores([r.text for r in readings], references, reader.molecules)
    print(json.dumps({"images": len(references), "skipped_invalid_targets": skipped, **scores,
                      **fallback, "images_per_second": len(references) / seconds}))
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
    parser.epilog = ('JSON: a list with an object per image, in order: {"input": the file, '
                     '"output": the SMILES or text, "probability": that of the output (0 when '
                     'it never ended), "log_probability", and for molecule runs '
                     '"canonical_smiles" (null when RDKit cannot parse it), "valid" (parses: '
                     'not the same as right), "atoms": [{"token", "x", "y"}] in pixels of the '
                     'image}, and for a calibrated model (the shipped molecules) "confidence": '
                     'the chance that the reading is right, and "flagged": below the model\'s '
                     'decode.flag_below; with --fallback osra, "read_by": "attnkit" or '
                     '"osra", and where OSRA\'s molecule replaced a flagged reading '
                     '"model_output" (the model\'s own; probability and confidence are then '
                     'null); with --n-best, "n_best": '
                     '[{"output", "probability", "log_probability", "normalized_score": '
                     'log_probability / (tokens + 1)**decode.length_penalty, the beam\'s '
                     'ranking, and for molecules "canonical_smiles" and "valid"}, ...] best '
                     'first; with --include-attention, "output_tokens" (T), "attention" (T x P), '
                     '"grid_size", "points" (T x 2) and "canvas". An image that cannot be read '
                     'is {"input", "error"} (also printed to standard error; exit status 1). '
                     'The same record as attnkit.load(RUN).predict([file])[0].to_record() and '
                     'attnkit serve.')
    add_search_arguments(parser)


def predict(args: argparse.Namespace) -> int:
    """One record per image (`Reading.to_record`): `output<TAB>probability` as text; JSON and
    CSV add, for molecules, the canonical SMILES, validity and each atom's image position.
    An image that cannot be read is reported and the others are read; the exit status is then 1."""
    from attnkit.data.images import image_paths
    from attnkit.pipelines.img2seq.predictor import ImageReader

    paths = image_paths(args.images)
    if args.attention is not None:
        if args.attention.suffix.lower() != ".png":
            raise AttnkitError(f"attention image must end in .png, got {args.attention}")
        check_writable(args.attention)
    reader = ImageReader.from_checkpoint(args.checkpoint, args.device)
    if args.fallback:
        reader.check_fallback(args.fallback)
    check_n_best(args.n_best, args.beam or reader.recipe.decode.beam_width,
                 args.beam is not None)
    calibrated = ["confidence", "flagged"] if reader.recipe.decode.confidence_scale > 0 else []
    columns = ["input", "output", "probability", "log_probability"] + \
        (["canonical_smiles", "valid", "atoms"] if reader.molecules else []) + calibrated + \
        (["read_by", "model_output"] if args.fallback else [])
    optional = (["n_best"] if args.n_best else []) + \
        (["output_tokens", "attention", "grid_size", "points", "canvas"]
         if args.include_attention else [])
    writer = RecordWriter(args.format, [*columns, *optional, "error"],
                          ["input", "output", "probability", *calibrated,
                           *(["read_by"] if args.fallback else [])])
    failed, first = 0, None
    for start in range(0, len(paths), args.batch_size):
        chunk = [str(path) for path in paths[start: start + args.batch_size]]
        for path, result in zip(chunk, reader.predict_each(
                chunk, args.beam, args.prefer_valid, args.n_best, batch_size=args.batch_size,
                fallback=args.fallback),
                strict=True):
            if isinstance(result, AttnkitError):
                failed += 1
                writer.write({"input": path, "error": str(result)})
                continue
            first = first or result
            writer.write(result.to_record(args.include_attention))
    writer.close()
    if args.attention is not None and first is not None:
        write_attention(args.attention, reader, first)
    return 1 if failed else 0


def write_attention(path: Path, reader: ImageReader, reading: Reading) -> None:
    from attnkit.data.images import read_image
    from attnkit.viz.attention_overlay import plot_attention_strip

    source = Path(reading.input or "image")
    if reading.attention is None or not reading.tokens:
        raise AttnkitError(f"{source} gave an empty output: no attention to draw")
    image, _ = read_image(source, reader.image_size, str(source), reader.recipe.data.crop_to_ink)
    plot_attention_strip(image, reading.attention, reading.tokens, path,
                         title=f"{source.name}: {reading.text}", points=reading.points)
    print(f"attention written to {path}", file=sys.stderr)
