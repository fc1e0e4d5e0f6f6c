"""The calibrated confidence of a molecules run (issue #27): the chance that a reading is right,
fitted on its validation drawings (for a mix recipe: molecules training never saw, drawn by
toolkits training never used) with the search the run ships with. Prints one JSON object: the
fitted `decode.confidence_scale` / `decode.confidence_shift`, a reliability table (readings by
calibrated confidence: how many, how many right), what `decode.flag_below` 0.5 flags, the same
for the raw probability, and the `attnkit export` settings that store it.

    .venv/bin/python bench/molecule_calibration.py RUN [--limit 1000] [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import json
import math

import numpy as np
from molecule_decoding import validation_drawings  # this folder's (run as a script)

from attnkit.data.chem import canonical_smiles
from attnkit.pipelines.img2seq.calibration import confidence, fit_confidence

BINS = (0.0, 0.1, 0.3, 0.5, 0.7, 0.9, 1.0001)


def table(values: np.ndarray, right: np.ndarray) -> list[dict]:
    rows = []
    for low, high in zip(BINS, BINS[1:], strict=False):
        chosen = (values >= low) & (values < high)
        rows.append({"from": low, "to": min(high, 1.0), "readings": int(chosen.sum()),
                     "right": round(float(right[chosen].mean()), 3) if chosen.any() else None})
    return rows


def flags(values: np.ndarray, right: np.ndarray, below: float) -> dict:
    flagged = values < below
    return {"flagged": round(float(flagged.mean()), 3),
            "right_among_flagged": round(float(right[flagged].mean()), 3) if flagged.any()
            else None,
            "right_among_kept": round(float(right[~flagged].mean()), 3) if (~flagged).any()
            else None,
            "right_readings_flagged": round(float(flagged[right].mean()), 3) if right.any()
            else None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flag-below", type=float, default=0.5)
    args, reader, images, targets = validation_drawings(parser)
    readings = reader.predict_encoded(images)
    right = np.array([reading.canonical is not None and reading.canonical ==
                      canonical_smiles(target) for reading, target in
                      zip(readings, targets, strict=True)])
    log_p = np.array([reading.score if reading.finished else -math.inf
                      for reading in readings])
    scale, shift = fit_confidence(log_p, right)
    calibrated = np.array([confidence(x, scale, shift) for x in log_p])
    probability = np.exp(log_p)
    print(json.dumps({
        "run": args.run, "images": len(targets), "right": round(float(right.mean()), 4),
        "confidence_scale": round(scale, 5), "confidence_shift": round(shift, 5),
        "calibrated": {"table": table(calibrated, right),
                       f"flag_below_{args.flag_below}": flags(calibrated, right,
                                                             args.flag_below)},
        "raw_probability": {"table": table(probability, right),
                            f"flag_below_{args.flag_below}": flags(probability, right,
                                                                  args.flag_below)},
        "export": f"--set decode.confidence_scale={scale:.5f} "
                  f"--set decode.confidence_shift={shift:.5f} "
                  f"--set decode.flag_below={args.flag_below}"}, indent=1))


if __name__ == "__main__":
    main()
