"""Molecules drawn by Open Babel's PNG depiction (Debian `openbabel`: the `obabel` program).

`obabel` runs as a separate program. A SMILES reaches it only as data, one line of a `.smi`
file given as an argument list (never through a shell), and only after `check_smiles_text` has
refused anything outside the SMILES alphabet (spaces and line breaks, which would split one
molecule into two or make the rest a title, included). Every run has a timeout.

Many molecules go through one run: Open Babel draws them as a table (`-xc`, `-xr`), whose
cells are pixel for pixel the drawings it makes of each molecule alone (checked on MOSES
molecules), and which is cut back into cells here. A random style is drawn once per
`per_style` molecules (the options apply to a whole run): label colours or black (`-xu`),
terminal carbons drawn (its default), hidden (`-xC`) or every carbon (`-xa`), asymmetric double
bonds (`-xs`), thicker lines (`-xt`), grey bonds (`-xB`), groups abbreviated (`--genalias -xA`:
COOH, CHO, CF3 ...) and the canvas size (lines and labels scale with it).

Where the atoms are: Open Babel lays the molecule out with its own 2-D coordinates (`--gen2d`,
deterministic; a second run writes them as SD records), scales them to 40 units per mean bond
length, adds a margin of 40 units on every side, and fits that canvas into the image keeping
its aspect ratio, centred. The atoms' pixels follow from that alone (labels do not move the
drawing); `tests/data/drawing/test_openbabel.py` checks it against the ink of bonds drawn in a
tinted colour. Abbreviated groups hide their atoms, so those drawings carry no positions.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from attnkit.data.drawing.canvas import (
    check_size,
    fitted,
    grayscale,
    positions_in_rdkit_order,
    rdkit_elements,
)
from attnkit.data.drawing.depiction import Depiction
from attnkit.data.drawing.molfile import MolRecord, read_sd_records
from attnkit.data.drawing.smiles_text import check_smiles_text
from attnkit.errors import AttnkitError

DEFAULT_SIZE = 300  # pixels, Open Babel's own image size
UNITS_PER_BOND, MARGIN_UNITS = 40.0, 40.0  # Open Babel's depiction canvas
SECONDS_PER_RUN, SECONDS_PER_MOLECULE = 20.0, 1.0
TABLE_MOLECULES = 64  # per obabel run: a table of 8 x 8 drawings (about 4 MB of pixels at 256)


@dataclass(frozen=True)
class OpenBabelStyle:
    """Open Babel's PNG options. `carbons`: which carbons get a label; `bond_gray` 0-255 (0
    black); `scale`: the drawing is made on a canvas `scale` times the asked size and fitted
    back, which thins (below 1: thickens) its lines and labels."""

    colour_labels: bool = True
    carbons: Literal["terminal", "none", "all"] = "terminal"
    asymmetric_double_bonds: bool = False
    thick_lines: bool = False
    bond_gray: int = 0
    abbreviations: bool = False
    scale: float = 1.0

    def __post_init__(self) -> None:
        if self.carbons not in ("terminal", "none", "all"):
            raise ValueError("carbons must be terminal, none or all")
        if not 0 <= self.bond_gray <= 200:
            raise ValueError(f"bond_gray must be in [0, 200], got {self.bond_gray}")
        if not 0.5 <= self.scale <= 2:
            raise ValueError(f"scale must be in [0.5, 2], got {self.scale}")

    def arguments(self) -> list[str]:
        """The `obabel` write options of this style."""
        options = [] if self.colour_labels else ["-xu"]
        options += {"terminal": [], "none": ["-xC"], "all": ["-xa"]}[self.carbons]
        options += ["-xs"] if self.asymmetric_double_bonds else []
        options += ["-xt"] if self.thick_lines else []
        options += ["-xB", f"#{self.bond_gray:02x}{self.bond_gray:02x}{self.bond_gray:02x}"] \
            if self.bond_gray else []
        return options + (["--genalias", "-xA"] if self.abbreviations else [])


def random_openbabel_style(rng: np.random.Generator) -> OpenBabelStyle:
    return OpenBabelStyle(
        colour_labels=bool(rng.random() < 0.5),
        carbons=str(rng.choice(["terminal", "none", "all"], p=[0.6, 0.25, 0.15])),
        asymmetric_double_bonds=bool(rng.random() < 0.3),
        thick_lines=bool(rng.random() < 0.3),
        bond_gray=int(rng.choice([0, 0, rng.integers(48, 140)])),
        abbreviations=bool(rng.random() < 0.25),
        scale=float(np.exp(rng.uniform(np.log(0.75), np.log(1.5)))))


def draw_openbabel(smiles: str, rng: np.random.Generator, size: int | None = 256,
                   defaults: bool = False) -> Depiction:
    """`smiles` drawn by Open Babel (see `draw_openbabel_many`); AttnkitError if it cannot."""
    depiction = draw_openbabel_many([smiles], rng, size, defaults)[0]
    if depiction is None:
        raise AttnkitError(f"Open Babel cannot draw the SMILES {smiles!r}")
    return depiction


def draw_openbabel_many(smiles: Sequence[str], rng: np.random.Generator,
                        size: int | None = 256, defaults: bool = False,
                        per_style: int = 16) -> list[Depiction | None]:
    """Each SMILES drawn by Open Babel at `size` x `size` pixels (None: its default 300), in a
    style drawn from `rng` for every `per_style` molecules (with `defaults`: its defaults). See
    `render_openbabel_many`."""
    check_size(size)
    for text in smiles:  # every SMILES before any program runs
        check_smiles_text(text)
    drawings: list[Depiction | None] = []
    for start in range(0, len(smiles), per_style):
        style = OpenBabelStyle() if defaults else random_openbabel_style(rng)
        drawings += render_openbabel_many(smiles[start: start + per_style], style, size)
    return drawings


def render_openbabel_many(smiles: Sequence[str], style: OpenBabelStyle,
                          size: int | None = 256) -> list[Depiction | None]:
    """Each SMILES drawn by Open Babel in `style` at `size` x `size` pixels (None: 300), atoms
    in RDKit's order (None with abbreviations). None for a molecule Open Babel cannot lay out
    (several ions without bonds, which it stacks on one point). A SMILES with characters
    outside the SMILES alphabet, or that RDKit cannot parse, raises AttnkitError before any
    program runs."""
    check_size(size)
    for text in smiles:
        check_smiles_text(text)
    elements = [rdkit_elements(text) for text in smiles]
    program, drawn = obabel_program(), []
    for start in range(0, len(smiles), TABLE_MOLECULES):
        drawn += draw_table(program, list(smiles[start: start + TABLE_MOLECULES]), style,
                            size or DEFAULT_SIZE)
    drawings: list[Depiction | None] = []
    for found, expected in zip(drawn, elements, strict=True):
        if found is None:
            drawings.append(None)
            continue
        image, atoms, symbols = found
        drawings.append(fitted(image, positions_in_rdkit_order(atoms, symbols, expected),
                               size))
    return drawings


def obabel_program() -> str:
    program = shutil.which("obabel")
    if program is None:
        raise AttnkitError("Open Babel drawings need the obabel program: apt-get install "
                           "openbabel")
    return program


def draw_table(program: str, smiles: list[str], style: OpenBabelStyle,
               size: int) -> list[tuple[np.ndarray, np.ndarray | None, list[str]] | None]:
    """One `obabel` run for the layouts, one for the pictures: per molecule its grayscale
    image, atom positions (pixels, Open Babel's atom order) and element symbols, or None."""
    pixels = round(size * style.scale)
    with tempfile.TemporaryDirectory(prefix="attnkit-obabel-") as folder:
        listing = Path(folder) / "molecules.smi"
        listing.write_text("".join(f"{text} {i}\n" for i, text in enumerate(smiles)))
        layout = run_obabel([program, str(listing), "-osdf", "--gen2d"], len(smiles))
        records = {record.title: record for record in read_sd_records(layout.decode())}
        drawable = [i for i in range(len(smiles)) if str(i) in records
                    and can_draw(records[str(i)])]
        if not drawable:
            return [None] * len(smiles)
        listing.write_text("".join(f"{smiles[i]} {i}\n" for i in drawable))
        columns = int(np.ceil(np.sqrt(len(drawable))))
        rows = int(np.ceil(len(drawable) / columns))
        table = Path(folder) / "table.png"
        run_obabel([program, str(listing), "-O", str(table), "-xd", "-xc", str(columns),
                    "-xr", str(rows), "-xw", str(columns * pixels), "-xh", str(rows * pixels),
                    *style.arguments()], len(drawable))
        picture = read_table(table, rows * pixels, columns * pixels)
    found: list[tuple[np.ndarray, np.ndarray | None, list[str]] | None] = [None] * len(smiles)
    for cell, i in enumerate(drawable):
        top, left = (cell // columns) * pixels, (cell % columns) * pixels
        record = records[str(i)]
        atoms = None if style.abbreviations else atom_pixels(record, pixels)
        found[i] = (picture[top: top + pixels, left: left + pixels], atoms, record.symbols)
    return found


def can_draw(record: MolRecord) -> bool:
    """Open Babel refuses to draw a layout whose atoms all sit on one point (ions without
    bonds); a single atom it draws."""
    return len(record.symbols) == 1 or bool(np.ptp(record.coordinates, axis=0).max() > 0)


def run_obabel(arguments: list[str], molecules: int) -> bytes:
    timeout = SECONDS_PER_RUN + SECONDS_PER_MOLECULE * molecules
    try:
        result = subprocess.run(arguments, capture_output=True, timeout=timeout, check=False,
                                stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise AttnkitError(f"obabel took more than {timeout:.0f} s for {molecules} "
                           "molecules") from None
    if result.returncode != 0:
        raise AttnkitError(f"obabel failed (exit {result.returncode}): "
                           f"{result.stderr.decode(errors='replace').strip()[:300]}")
    return result.stdout


def read_table(path: Path, height: int, width: int) -> np.ndarray:
    """The table image Open Babel wrote, (height, width) uint8 grayscale."""
    from PIL import Image

    if not path.is_file() or path.stat().st_size == 0:
        raise AttnkitError("obabel wrote no picture")
    with Image.open(path) as picture:
        rgb = np.asarray(picture.convert("RGB"), dtype=np.float64)
    if rgb.shape[:2] != (height, width):
        raise AttnkitError(f"obabel drew a {rgb.shape[1]} x {rgb.shape[0]} table where "
                           f"{width} x {height} was asked")
    return grayscale(rgb)


def atom_pixels(record: MolRecord, pixels: int) -> np.ndarray:
    """Where Open Babel draws each atom of `record` in a `pixels` x `pixels` image (N, 2)."""
    xy = record.coordinates * np.array([1.0, -1.0])  # molfile y points up, image y down
    units = UNITS_PER_BOND / record.mean_bond_length()
    canvas = np.ptp(xy, axis=0) * units + 2 * MARGIN_UNITS
    scale = min(pixels / canvas[0], pixels / canvas[1])
    corner = (pixels - canvas * scale) / 2
    return (corner + scale * ((xy - xy.min(axis=0)) * units + MARGIN_UNITS)).astype(np.float32)
