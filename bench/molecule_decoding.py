"""The search a molecules run should ship with, chosen on its validation drawings (for a mix
recipe: molecules training never saw, drawn by toolkits training never used): exact match,
validity, Tanimoto and images/s of greedy and beam searches, with and without prefer_valid and
the SMILES grammar. Prints one JSON object; run it alone on the machine (it times searches).

    .venv/bin/python bench/molecule_decoding.py RUN [--limit 1000] [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import time

from attnkit.pipelines.img2seq.data import build_splits
from attnkit.pipelines.img2seq.molecule_metrics import molecule_scores
from attnkit.pipelines.img2seq.predictor import ImageReader
from attnkit.pipelines.img2seq.search import output_grammar

SEARCHES = {  # name: (beam_width, prefer_valid, grammar)
    "greedy": (1, False, False),
    "greedy+grammar": (1, False, True),
    "beam4+prefer_valid": (4, True, False),
    "beam4+prefer_valid+grammar": (4, True, True),
}


def validation_drawings(parser: argparse.ArgumentParser) -> tuple[argparse.Namespace,
                                                                    ImageReader, list, list]:
    """RUN, --limit and --data-dir (and the caller's own options) parsed; the run's reader and
    the first `--limit` of its validation drawings and targets (bench/molecule_calibration.py
    reads them the same way)."""
    parser.add_argument("run")
    parser.add_argument("--limit", type=int, default=1000)
    parser.add_argument("--data-dir", default=os.environ.get("ATTNKIT_DATA"))
    args = parser.parse_args()
    reader = ImageReader.from_checkpoint(args.run)
    splits = build_splits(reader.recipe, args.data_dir)
    return (args, reader, splits.val_images[: args.limit],
            splits.val_targets[: args.limit])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args, reader, images, targets = validation_drawings(parser)
    report: dict = {"run": args.run, "images": len(targets), "searches": {}}
    for name, (beam, prefer_valid, grammar) in SEARCHES.items():
        reader.recipe = dataclasses.replace(reader.recipe, decode=dataclasses.replace(
            reader.recipe.decode, beam_width=beam, prefer_valid=prefer_valid, grammar=grammar))
        reader.grammar = output_grammar(reader.vocab, reader.recipe)
        started = time.perf_counter()
        outputs = [reading.text for reading in reader.predict_encoded(images)]
        seconds = time.perf_counter() - started
        scores = molecule_scores(outputs, targets)
        report["searches"][name] = {
            **{key: round(scores[key], 4) for key in ("exact_match", "validity", "tanimoto")},
            "images_per_second": round(len(targets) / seconds, 1)}
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
