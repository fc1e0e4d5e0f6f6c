"""RDKit drawings in random styles (data.drawing.rdkit_style) of MOSES and HIV molecules: how
many fail to draw and why, how many drawings a second one process makes, and a contact sheet
of examples to look at. With --degrade each drawing is also degraded like a document
(data.drawing.degrade) and cropped to its ink (data.drawing.ink). Prints one JSON object.

    .venv/bin/python bench/drawing_styles.py [--count 500] [--seed 0] [--degrade]
        [--sheet sheet.png] [--atoms] [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import collections
import csv
import json
import os
import platform
import time
from pathlib import Path

import numpy as np

from attnkit.data.chem import parse_molecule
from attnkit.data.drawing.degrade import degrade_depiction
from attnkit.data.drawing.depiction import Depiction
from attnkit.data.drawing.ink import crop_to_ink
from attnkit.data.drawing.rdkit_style import draw_rdkit_style
from attnkit.data.moses import load_moses
from attnkit.data.sources import resolve_data_dir
from attnkit.errors import AttnkitError

SHEET_COLUMNS, SHEET_ROWS, CELL = 6, 4, 256


def molecules(data_dir: Path, count: int, rng: np.random.Generator) -> list[tuple[str, str]]:
    """(source, SMILES): half from the first 50,000 MOSES training molecules, half from HIV,
    picked at random."""
    moses = load_moses("train", data_dir, limit=50_000)
    with open(data_dir / "hiv" / "hiv_smiles.csv", encoding="utf-8", newline="") as handle:
        hiv = [row["smiles"] for row in csv.DictReader(handle)]
    half = count // 2
    return [("moses", moses[i]) for i in rng.choice(len(moses), half, replace=False)] + \
        [("hiv", hiv[i]) for i in rng.choice(len(hiv), count - half, replace=False)]


def drawn(smiles: str, seed: int, degrade: bool) -> Depiction:
    molecule = parse_molecule(smiles)
    if molecule is None:
        raise AttnkitError("RDKit cannot parse it")
    rng = np.random.default_rng(seed)
    size = None if rng.random() < 0.5 else int(rng.integers(200, 1001))
    depiction = draw_rdkit_style(molecule, rng, size)
    if not degrade:
        return depiction
    depiction = degrade_depiction(depiction, rng)
    cropped, (left, top, _, _) = crop_to_ink(depiction.image)
    return Depiction(cropped, depiction.atoms - np.array([left, top], dtype=np.float32))


def contact_sheet(depictions: list[Depiction], path: str, atoms: bool) -> None:
    """Up to 24 drawings, each scaled to fit a 256 px cell, with a grey frame; red dots at the
    atom positions with `atoms`."""
    from PIL import Image, ImageDraw

    sheet = Image.new("RGB", (SHEET_COLUMNS * CELL, SHEET_ROWS * CELL), "white")
    draw = ImageDraw.Draw(sheet)
    for k, depiction in enumerate(depictions[: SHEET_COLUMNS * SHEET_ROWS]):
        H, W = depiction.image.shape
        scale = min(1.0, (CELL - 8) / max(H, W))
        width, height = max(1, round(W * scale)), max(1, round(H * scale))
        left = (k % SHEET_COLUMNS) * CELL + (CELL - width) // 2
        top = (k // SHEET_COLUMNS) * CELL + (CELL - height) // 2
        picture = Image.fromarray(depiction.image).resize((width, height),
                                                          Image.Resampling.LANCZOS)
        sheet.paste(picture.convert("RGB"), (left, top))
        draw.rectangle((left - 1, top - 1, left + width, top + height), outline=(200, 200, 200))
        if atoms and depiction.atoms is not None:
            for x, y in depiction.atoms * scale:
                draw.ellipse((left + x - 1.5, top + y - 1.5, left + x + 1.5, top + y + 1.5),
                             fill=(255, 0, 0))
    sheet.save(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=500, help="molecules (half MOSES, half HIV)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--degrade", action="store_true", help="degrade and crop each drawing")
    parser.add_argument("--sheet", help="write a contact sheet of 24 drawings to this PNG")
    parser.add_argument("--atoms", action="store_true", help="mark atom positions on the sheet")
    parser.add_argument("--data-dir", help="data folder (default: $ATTNKIT_DATA)")
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    chosen = molecules(resolve_data_dir(args.data_dir), args.count, rng)
    failures: collections.Counter[str] = collections.Counter()
    failed_examples: list[dict] = []
    depictions: list[Depiction] = []
    sizes = []
    outside = atom_count = 0
    started, cpu_started = time.perf_counter(), time.process_time()
    for i, (source, smiles) in enumerate(chosen):
        try:
            depiction = drawn(smiles, args.seed * 1_000_003 + i, args.degrade)
        except AttnkitError as error:
            reason = str(error).split(":")[-1].strip()[:80]
            failures[f"{source}: {reason}"] += 1
            if len(failed_examples) < 5:
                failed_examples.append({"smiles": smiles, "error": str(error)[:200]})
            continue
        sizes.append(depiction.image.shape)
        H, W = depiction.image.shape
        atoms = depiction.atoms
        outside += int((~np.isfinite(atoms).all(axis=1) | (atoms[:, 0] < 0) | (atoms[:, 1] < 0) |
                        (atoms[:, 0] > W) | (atoms[:, 1] > H)).sum())
        atom_count += len(atoms)
        if len(depictions) < SHEET_COLUMNS * SHEET_ROWS:
            depictions.append(depiction)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    if args.sheet:
        contact_sheet(depictions, args.sheet, args.atoms)
    heights, widths = np.array(sizes).T if sizes else (np.zeros(1), np.zeros(1))
    report = {
        "molecules": len(chosen), "drawn": len(sizes), "failed": sum(failures.values()),
        "failures": dict(failures), "failed_examples": failed_examples,
        "atoms": atom_count, "atoms_off_the_image": outside,
        "degrade": args.degrade, "seed": args.seed,
        "drawings_per_cpu_second": round(len(chosen) / max(cpu, 1e-9), 1),
        "drawings_per_second": round(len(chosen) / max(seconds, 1e-9), 1),
        "median_size": [int(np.median(heights)), int(np.median(widths))],
        "largest_side": int(max(heights.max(), widths.max())),
        "machine": {"platform": platform.platform(), "cpu_count": os.cpu_count(),
                    "load_average": [round(v, 2) for v in os.getloadavg()]},
    }
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
