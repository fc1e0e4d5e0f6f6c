"""Benchmark of issue 24: a molecules run on drawings nobody here trained on.

For each held-out set (bench/molecule_styles.py writes them: styles of other toolkits and of
RDKit's defaults, on MOSES test and HIV test molecules, which training never sees): exact match
(canonical SMILES), validity, Tanimoto and images/s of the run's own search; the same figures on
the molecules with stereo or charges, and by size (<= 12, 13-30, > 30 heavy atoms); OSRA on the
first `--osra` images of each set. Also: MOSES test molecules drawn by attnkit's plain renderer
(the control of issue 17), greedy images/s, and the run's validation curve against training
minutes. Prints one JSON object. Run it alone on the machine: it times searches.

    .venv/bin/python bench/molecules.py --run RUN --sets runs/heldout [--osra 100]
        [--moses-test 2000] [--sources moses-test hiv-test] [--styles ...]
        [--fallback osra] [--data-dir DIR]

`--fallback osra` reads each set as `attnkit predict --fallback osra` does: OSRA reads the
drawings the run flags, its images/s then include OSRA's time.

The held-out sets are written first when `--sets DIR/<source>/<style>/labels.csv` is missing
(`--molecules` per source, seed 0).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

from attnkit.data.chem import parse_molecule
from attnkit.data.image_text import canonical_molecule_rows, load_row_images, read_image_table
from attnkit.pipelines.img2seq.molecule_metrics import molecule_scores
from attnkit.pipelines.img2seq.osra import FALLBACKS
from attnkit.pipelines.img2seq.predictor import ImageReader, read_flagged_by_osra

HERE = Path(__file__).resolve().parent
SOURCES = ("moses-test", "hiv-test")
STYLES = ("rdkit-defaults-256", "rdkit-defaults-512", "indigo-defaults", "openbabel-defaults",
          "cdk-random", "cdk-random-noisy")
BANDS = (("<=12", 0, 12), ("13-30", 13, 30), (">30", 31, 10**6))


def curve(run_dir: Path) -> list[dict]:
    """Validation exact match against cumulative training minutes, one point per epoch."""
    points, minutes = [], 0.0
    for line in (run_dir / "metrics.jsonl").read_text().splitlines():
        record = json.loads(line)
        minutes += record.get("train_seconds", 0.0) / 60
        points.append({"epoch": record["epoch"], "train_minutes": round(minutes, 1),
                       **{key: round(value, 4) for key, value in record.items()
                          if key.startswith("val_") and isinstance(value, float)}})
    return points


def kinds(smiles: str) -> tuple[bool, int]:
    """(has stereo or a charge, heavy atoms)."""
    special = any(mark in smiles for mark in ("@", "/", "\\", "+", "-]"))
    molecule = parse_molecule(smiles)
    return special, 0 if molecule is None else molecule.GetNumHeavyAtoms()


def scored(outputs: list[str], targets: list[str]) -> dict:
    return {"images": len(targets), **{key: round(value, 4) for key, value in
                                       molecule_scores(outputs, targets).items()
                                       if key in ("exact_match", "validity", "tanimoto")}}


def read_set(reader: ImageReader, csv_path: Path, fallback: bool = False) -> dict:
    """The run's figures on one held-out set, with its stereo/charge and size subsets; with
    `fallback`, OSRA reads the drawings the run flags (`img2seq.osra`)."""
    rows, _ = canonical_molecule_rows(read_image_table(csv_path), csv_path, "skip")
    images = load_row_images(rows, reader.image_size, csv_path, reader.recipe.data.crop_to_ink)
    targets = [row.target for row in rows]
    started = time.perf_counter()
    readings = reader.predict_encoded(images)
    if fallback:
        readings = read_flagged_by_osra(readings, [row.image for row in rows],
                                        [str(row.image) for row in rows])
    seconds = time.perf_counter() - started
    outputs = [reading.text for reading in readings]
    report = {**scored(outputs, targets), "images_per_second": round(len(rows) / seconds, 1)}
    if fallback:
        report["read_by_osra"] = round(sum(r.read_by == "osra" for r in readings) / len(rows), 4)
    found = [kinds(target) for target in targets]
    subsets = {"stereo_or_charge": [special for special, _ in found]}
    subsets |= {f"heavy_atoms_{name}": [low <= size <= high for _, size in found]
                for name, low, high in BANDS}
    for name, chosen in subsets.items():
        picked = [i for i, keep in enumerate(chosen) if keep]
        if picked:
            report[name] = scored([outputs[i] for i in picked], [targets[i] for i in picked])
    return report


def write_sets(sets: Path, molecules: int, data_dir: str | None,
               sources: tuple[str, ...] = SOURCES) -> None:
    for source in sources:
        if not all((sets / source / style / "labels.csv").is_file() for style in STYLES):
            subprocess.run([sys.executable, str(HERE / "molecule_styles.py"), "--out",
                            str(sets / source), "--molecules", str(molecules), "--source",
                            source, *(["--data-dir", data_dir] if data_dir else [])],
                           check=True, stdout=subprocess.DEVNULL)


def moses_control(run: str, limit: int) -> dict:
    """`attnkit eval RUN --split test`: MOSES test molecules drawn by attnkit's own renderer."""
    found = {}
    for beam in (None, 1):
        argv = ["eval", run, "--split", "test", "--limit", str(limit), "--json"]
        result = subprocess.run([sys.executable, "-m", "attnkit.cli", *argv,
                                 *(["--beam", str(beam)] if beam else [])],
                                capture_output=True, text=True, check=True)
        scores = json.loads(result.stdout.strip().splitlines()[-1])
        found["default" if beam is None else "greedy"] = {
            key: round(scores[key], 4) for key in ("images", "exact_match", "validity",
                                                   "tanimoto", "images_per_second")}
    return found


def osra_entry(csv_path: Path, limit: int) -> dict:
    """OSRA on the first `limit` images of a set: kept beside the set (`osra-<limit>.json`),
    since it does not depend on the run."""
    kept = csv_path.parent / f"osra-{limit}.json"
    if kept.is_file():
        return json.loads(kept.read_text())
    sys.path.insert(0, str(HERE))
    from osra_reading import osra_scores

    scores = osra_scores(csv_path, 30.0, limit)
    kept.write_text(json.dumps(scores))
    return scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", required=True, help="run folder, checkpoint or shipped name")
    parser.add_argument("--sets", type=Path, default=Path("runs/heldout"))
    parser.add_argument("--molecules", type=int, default=500, help="per source, when writing")
    parser.add_argument("--osra", type=int, default=0, help="OSRA on the first N of each set")
    parser.add_argument("--fallback", choices=FALLBACKS, help="OSRA reads the drawings the "
                        "run flags as unsure (`attnkit predict --fallback osra`)")
    parser.add_argument("--styles", nargs="+", choices=STYLES, default=list(STYLES))
    parser.add_argument("--moses-test", type=int, default=2000, help="0: no control")
    parser.add_argument("--sources", nargs="+", choices=SOURCES, default=list(SOURCES),
                        help="the held-out sources to read (two processes can split them)")
    parser.add_argument("--data-dir", default=os.environ.get("ATTNKIT_DATA"))
    args = parser.parse_args()
    write_sets(args.sets, args.molecules, args.data_dir, tuple(args.sources))
    reader = ImageReader.from_checkpoint(args.run)
    report: dict = {"run": args.run, "machine": {"cpus": os.cpu_count(),
                                                 "python": platform.python_version()},
                    "decode": dict(vars(reader.recipe.decode)), "sets": {}}
    for source in args.sources:
        for style in args.styles:
            csv_path = args.sets / source / style / "labels.csv"
            entry = read_set(reader, csv_path, args.fallback == "osra")
            if args.osra:
                entry["osra"] = osra_entry(csv_path, args.osra)
            report["sets"][f"{source}/{style}"] = entry
            print(f"{source}/{style}: {entry['exact_match']}", file=sys.stderr)
    if args.moses_test:
        report["moses_test_attnkit_renderer"] = moses_control(args.run, args.moses_test)
    run_dir = Path(args.run)
    if (run_dir / "metrics.jsonl").is_file():
        report["curve"] = curve(run_dir)
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
