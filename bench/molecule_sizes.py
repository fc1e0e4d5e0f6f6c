"""Exact match of a molecules run on drawings made at 128, 256 and 512 px, on its validation
molecules (the split every choice is made on) or on the MOSES test molecules (reporting only).

The molecules are drawn plainly at each size (`render_smiles`) and scaled down to the model's
input by the pipeline, as a user's image is. Prints one JSON object.

    .venv/bin/python bench/molecule_sizes.py RUN [--split validation|test] [--count 1000]
        [--sizes 128 256 512] [--beam 1] [--prefer-valid]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time

import torch
from molecules import drawn_at  # bench/molecules.py, beside this file

from attnkit.data.moses import load_moses
from attnkit.pipelines.img2seq.data import moses_selection
from attnkit.pipelines.img2seq.predictor import ImageReader
from attnkit.pipelines.img2seq.training import text_scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", help="run folder, checkpoint or shipped name")
    parser.add_argument("--split", choices=("validation", "test"), default="validation")
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--sizes", type=int, nargs="+", default=[128, 256, 512])
    parser.add_argument("--beam", type=int, default=1)
    parser.add_argument("--prefer-valid", action="store_true")
    parser.add_argument("--data-dir", help="data folder (default: $ATTNKIT_DATA)")
    args = parser.parse_args()
    reader = ImageReader.from_checkpoint(args.run, "cpu")
    if args.split == "validation":
        smiles = moses_selection(reader.recipe.data, args.data_dir)[1][: args.count]
    else:
        smiles = load_moses("test", args.data_dir, args.count, download_if_missing=True)
    report: dict = {"run": args.run, "split": args.split, "molecules": len(smiles),
                    "beam": args.beam, "prefer_valid": args.prefer_valid}
    started = time.perf_counter()
    for size in args.sizes:
        readings = reader.read(drawn_at(smiles, size, reader.image_size), args.beam,
                               args.prefer_valid)
        scores = text_scores([r.text for r in readings], smiles, True)
        report[f"{size}px_exact_match"] = round(scores["exact_match"], 4)
        report[f"{size}px_validity"] = round(scores["validity"], 4)
    exact = [report[f"{size}px_exact_match"] for size in args.sizes]
    report["mean_exact_match"] = round(sum(exact) / len(exact), 4)
    report["largest_gap_points"] = round(100 * (exact[0] - min(exact)), 1)
    report["seconds"] = round(time.perf_counter() - started, 1)
    report["machine"] = {"platform": platform.platform(), "cpu_count": os.cpu_count(),
                         "torch": torch.__version__}
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
