"""Does reading each drawing in several rotated views (`decode.rotations`: keep the most probable
reading that parses) pay, on a molecules run's validation drawings (for a mix recipe: molecules
training never saw, drawn by toolkits training never used)? Prints one JSON object: exact
match, validity, Tanimoto and images/s of the run's search with each set of rotations. Run it
alone on the machine (it times searches).

    .venv/bin/python bench/molecule_views.py RUN [--limit 1000] [--views 0+180] [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time

from molecule_decoding import validation_drawings

from attnkit.pipelines.img2seq.molecule_metrics import molecule_scores

ROTATIONS = [(0,), (0, 180), (0, 90, 180, 270)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--views", nargs="+", choices=["+".join(map(str, r)) for r in ROTATIONS],
                        help="only these sets of rotations (default: all)")
    args, reader, images, targets = validation_drawings(parser)
    decode = reader.recipe.decode
    report: dict = {"run": args.run, "images": len(targets), "search": {
        "beam_width": decode.beam_width, "prefer_valid": decode.prefer_valid,
        "grammar": decode.grammar}, "rotations": {}}
    for rotations in ROTATIONS:
        if args.views and "+".join(map(str, rotations)) not in args.views:
            continue
        reader.recipe = dataclasses.replace(reader.recipe, decode=dataclasses.replace(
            decode, rotations=rotations))
        started = time.perf_counter()
        outputs = [reading.text for reading in reader.predict_encoded(images)]
        seconds = time.perf_counter() - started
        scores = molecule_scores(outputs, targets)
        report["rotations"]["+".join(map(str, rotations))] = {
            **{key: round(scores[key], 4) for key in ("exact_match", "validity", "tanimoto")},
            "images_per_second": round(len(targets) / seconds, 1)}
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
