"""Molecule drawings in other tools' styles for issue 24: the benchmark's held-out sets (MOSES and
HIV test molecules: never for training or for choosing settings on), and validation sets of the
same styles on the shipped reader's validation molecules (`--source val`) to choose settings on.

For each style, a folder of images and a `labels.csv` (`file,target`: the image's name and the
molecule's RDKit canonical SMILES) that `attnkit eval molecules --csv DIR/STYLE/labels.csv`
reads. The same molecules (picked by `--seed` from `--source`) go to every style, under the
same file names; a molecule a tool cannot draw is left out of that style (and counted).

    rdkit-defaults-256, rdkit-defaults-512   rdkit.Chem.Draw.MolToFile, default options
    indigo-defaults                          Indigo's defaults at its own size (100 px bonds)
    openbabel-defaults                       obabel's PNG defaults (300 x 300)
    cdk-random                               CDK in random styles (drawing.cdk), its own size
    cdk-random-noisy                         the cdk-random drawings made scan-like: a wider
                                             page, stray labels, blur, noise, binarisation,
                                             JPEG (a degradation written here, apart from any
                                             used in training, so the test does not follow it)

Sources: `moses-test` (MOSES test split) and `hiv-test` (the HIV molecules `hiv_split` puts in
"test"); `val`, the shipped reader's validation molecules, drawn in these styles to choose
settings on (never a test set). `--osra N` also runs OSRA on the first N images of each style
(bench/osra_reading.py). Prints one JSON object (counts, skipped, drawing rate per style, OSRA
scores).

    .venv/bin/python bench/molecule_styles.py --out DIR --molecules 500 --seed 0
        --source moses-test [--styles cdk-random,...] [--osra 100] [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
from osra_reading import osra_scores
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from attnkit.data.chem import canonical_smiles, parse_molecule
from attnkit.data.drawing.cdk import draw_cdk
from attnkit.data.drawing.indigo import draw_indigo
from attnkit.data.drawing.openbabel import draw_openbabel_many
from attnkit.data.hiv import load_hiv
from attnkit.data.moses import load_moses
from attnkit.errors import AttnkitError
from attnkit.files import write_text_atomically

STYLES = ("rdkit-defaults-256", "rdkit-defaults-512", "indigo-defaults", "openbabel-defaults",
          "cdk-random", "cdk-random-noisy")
SOURCES = ("moses-test", "hiv-test", "val")
Drawing = tuple[int, Image.Image | None, int | None]  # molecule, picture, JPEG quality


def pick_molecules(source: str, count: int, seed: int, data_dir: str | None) -> list[str]:
    """`count` canonical SMILES drawn without replacement from `source` by `seed`; `val` is the
    shipped `molecules` recipe's validation mix (molecules training never saw), for choosing
    settings on drawings in these styles."""
    pool = load_moses("test", data_dir) if source == "moses-test" else \
        load_hiv(data_dir, "test") if source == "hiv-test" else validation_molecules(data_dir)
    canonical = [text for text in (canonical_smiles(s) for s in pool) if text]
    if count > len(canonical):
        raise AttnkitError(f"{source} has {len(canonical)} molecules, fewer than {count}")
    chosen = np.random.default_rng([seed, 24]).choice(len(canonical), count, replace=False)
    return [canonical[i] for i in sorted(chosen)]


def validation_molecules(data_dir: str | None) -> list[str]:
    from attnkit.pipelines.img2seq.data import mix_molecules
    from attnkit.pipelines.img2seq.predictor import ImageReader

    return mix_molecules(ImageReader.from_checkpoint("molecules").recipe.data, "val", data_dir)


def one_by_one(smiles: list[str], draw: Callable[[int, str], Image.Image]) -> Iterator[Drawing]:
    """Each molecule drawn alone; None for one the tool cannot draw."""
    for i, text in enumerate(smiles):
        try:
            yield i, draw(i, text), None
        except AttnkitError:
            yield i, None, None


def rdkit_defaults(smiles: list[str], size: int) -> Iterator[Drawing]:
    from rdkit.Chem import Draw

    return one_by_one(smiles, lambda i, text: Draw.MolToImage(parse_molecule(text),
                                                              size=(size, size)))


def indigo_defaults(smiles: list[str]) -> Iterator[Drawing]:
    return one_by_one(smiles, lambda i, text: picture(
        draw_indigo(text, np.random.default_rng(0), None, defaults=True).image))


def openbabel_defaults(smiles: list[str]) -> Iterator[Drawing]:
    for start in range(0, len(smiles), 64):
        drawings = draw_openbabel_many(smiles[start: start + 64], np.random.default_rng(0),
                                       None, defaults=True)
        for i, depiction in enumerate(drawings, start):
            yield i, None if depiction is None else picture(depiction.image), None


def cdk_random(smiles: list[str], seed: int, noisy: bool = False) -> Iterator[Drawing]:
    for i, image, _ in one_by_one(smiles, lambda i, text: picture(
            draw_cdk(text, np.random.default_rng([seed, i]), None).image)):
        if noisy and image is not None:
            yield i, *scan_like(image, np.random.default_rng([seed, i, 1]))
        else:
            yield i, image, None


def picture(image: np.ndarray) -> Image.Image:
    return Image.fromarray(image, mode="L")


STRAY = ("({n})", "{n}", "{n}a", "Fig. {n}", "Example {n}", "Scheme {n}", "{n}%", "yield {n}%")


def scan_like(image: Image.Image, rng: np.random.Generator) -> tuple[Image.Image, int | None]:
    """A drawing as a scanned page shows it: on a wider page with stray labels beside it,
    blurred, contrast raised or not, noisy, sometimes binarised (1-bit); and the JPEG quality
    to save it at (None: PNG)."""
    W, H = image.size
    left, right, top, bottom = (int(rng.uniform(0.05, 0.6) * s) for s in (W, W, H, H))
    page = Image.new("L", (W + left + right, H + top + bottom), 255)
    page.paste(image, (left, top))
    pen = ImageDraw.Draw(page)
    margins = [(0, 0, left, page.height), (left + W, 0, page.width, page.height),
               (0, 0, page.width, top), (0, top + H, page.width, page.height)]
    for _ in range(int(rng.integers(0, 4))):
        x0, y0, x1, y1 = margins[int(rng.integers(len(margins)))]
        font = ImageFont.load_default(size=float(rng.uniform(10, 24)))
        text = str(rng.choice(STRAY)).format(n=int(rng.integers(1, 120)))
        box = pen.textbbox((0, 0), text, font=font)
        if box[2] < x1 - x0 and box[3] < y1 - y0:  # only where it fits beside the drawing
            pen.text((x0 + rng.uniform(0, x1 - x0 - box[2]), y0 + rng.uniform(0, y1 - y0 - box[3])),
                     text, fill=int(rng.integers(0, 60)), font=font)
    page = page.filter(ImageFilter.GaussianBlur(float(rng.uniform(0.0, 1.2))))
    pixels = np.asarray(page, dtype=np.float64)
    if rng.random() < 0.5:  # a scanner's contrast: light grey lines come out darker
        pixels = 255 - (255 - pixels) * rng.uniform(1.0, 2.5)
    pixels = pixels + rng.normal(0, rng.uniform(0, 14), pixels.shape)
    if rng.random() < 0.4:
        pixels = np.where(pixels < rng.uniform(150, 210), 0.0, 255.0)
    page = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), mode="L")
    return page, int(rng.integers(25, 80)) if rng.random() < 0.5 else None


def drawings(style: str, smiles: list[str], seed: int) -> Iterator[Drawing]:
    return {"rdkit-defaults-256": lambda: rdkit_defaults(smiles, 256),
            "rdkit-defaults-512": lambda: rdkit_defaults(smiles, 512),
            "indigo-defaults": lambda: indigo_defaults(smiles),
            "openbabel-defaults": lambda: openbabel_defaults(smiles),
            "cdk-random": lambda: cdk_random(smiles, seed),
            "cdk-random-noisy": lambda: cdk_random(smiles, seed, noisy=True)}[style]()


def write_style(style: str, smiles: list[str], out: Path, seed: int) -> dict:
    """Draw every molecule in `style` into out/style/ with its labels.csv."""
    folder = out / style
    folder.mkdir(parents=True, exist_ok=True)
    rows, started = [], time.perf_counter()
    for i, image, quality in drawings(style, smiles, seed):
        if image is None:  # a molecule this tool cannot draw: left out of this style
            continue
        name = f"{i:05d}.jpg" if quality else f"{i:05d}.png"
        image.save(folder / name, **({"quality": quality} if quality else {}))
        rows.append(f"{name},{smiles[i]}\n")
    seconds = time.perf_counter() - started
    write_text_atomically(folder / "labels.csv", "file,target\n" + "".join(rows))
    return {"images": len(rows), "left_out": len(smiles) - len(rows),
            "drawings_per_second": round(len(rows) / seconds, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--molecules", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--source", choices=SOURCES, default="moses-test")
    parser.add_argument("--styles", default=",".join(STYLES),
                        help=f"comma-separated, of: {', '.join(STYLES)}")
    parser.add_argument("--osra", type=int, default=0, help="run OSRA on the first N images "
                        "of each style")
    parser.add_argument("--osra-timeout", type=float, default=30.0)
    parser.add_argument("--data-dir", help="data folder (default: $ATTNKIT_DATA)")
    args = parser.parse_args()
    styles = [s for s in args.styles.split(",") if s]
    unknown = sorted(set(styles) - set(STYLES))
    if unknown:
        parser.error(f"unknown styles: {', '.join(unknown)}")
    smiles = pick_molecules(args.source, args.molecules, args.seed, args.data_dir)
    report: dict = {"source": args.source, "molecules": len(smiles), "seed": args.seed,
                    "styles": {}}
    for style in styles:
        report["styles"][style] = write_style(style, smiles, args.out, args.seed)
        if args.osra:
            report["styles"][style] |= osra_scores(args.out / style / "labels.csv",
                                                   args.osra_timeout, args.osra)
    write_text_atomically(args.out / "manifest.json", json.dumps(report, indent=1) + "\n")
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
