"""The rule of `--fallback osra` chosen on validation drawings: for each style under `--sets`
(written by `bench/molecule_styles.py --source val`: the shipped reader's validation molecules,
which training never saw), the run's readings (its default search) and OSRA's molecule
(`img2seq.osra`) of the first `--limit` drawings; exact match (canonical SMILES) of the run
alone, of OSRA alone, and of the run with OSRA's molecule in place of every reading whose
calibrated confidence is below each threshold (the run's own `decode.flag_below` is the rule
shipped). Prints one JSON object. Never point it at a test set.

    .venv/bin/python bench/molecule_fallback.py --sets runs/valstyles [--limit 300]
        [--run molecules] [--styles openbabel-defaults ...]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from attnkit.data.chem import canonical_smiles
from attnkit.data.image_text import read_image_table
from attnkit.data.images import own_size_picture
from attnkit.pipelines.img2seq.osra import osra_readings
from attnkit.pipelines.img2seq.predictor import ImageReader

THRESHOLDS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


def style_figures(reader: ImageReader, csv_path: Path, limit: int) -> dict:
    rows = read_image_table(csv_path)[:limit]
    targets = [canonical_smiles(row.target) for row in rows]
    readings = reader.predict([str(row.image) for row in rows])
    osra = osra_readings([lambda path=row.image: own_size_picture(path) for row in rows])
    sure = [reading.calibrated or 0.0 for reading in readings]

    def exact(outputs: list[str | None]) -> float:
        return round(float(np.mean([out == target for out, target in zip(outputs, targets,
                                                                        strict=True)])), 4)

    return {"drawings": len(rows), "model": exact([r.canonical for r in readings]),
            "osra": exact(osra), "with_osra_below": {
                str(threshold): exact([found if confidence < threshold and found else
                                       reading.canonical for reading, found, confidence
                                       in zip(readings, osra, sure, strict=True)])
                for threshold in THRESHOLDS}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", type=Path, required=True)
    parser.add_argument("--limit", type=int, default=300)
    parser.add_argument("--run", default="molecules")
    parser.add_argument("--styles", nargs="+", default=[
        "openbabel-defaults", "cdk-random", "cdk-random-noisy", "indigo-defaults",
        "rdkit-defaults-512", "rdkit-defaults-256"])
    args = parser.parse_args()
    reader = ImageReader.from_checkpoint(args.run)
    styles = {style: style_figures(reader, args.sets / style / "labels.csv", args.limit)
              for style in args.styles}
    mean = {key: round(float(np.mean([figures[key] for figures in styles.values()])), 4)
            for key in ("model", "osra")}
    mean["with_osra_below"] = {str(t): round(float(np.mean(
        [figures["with_osra_below"][str(t)] for figures in styles.values()])), 4)
        for t in THRESHOLDS}
    print(json.dumps({"run": args.run, "flag_below": reader.recipe.decode.flag_below,
                      "styles": styles, "mean": mean}, indent=1))


if __name__ == "__main__":
    main()
