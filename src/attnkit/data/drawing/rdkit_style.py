"""RDKit drawings in the many styles documents use, drawn from a NumPy Generator: the same
(molecule, seed) always gives the same picture.

`RdkitStyle()` is RDKit's plain default (what `Draw.MolToFile` draws, read as grayscale the way
Pillow reads a colour file); `sample_rdkit_style(rng)` draws a random one: font (DejaVu,
Liberation, Nimbus sans and serif when installed, else RDKit's own), label sizes, colour or
black-and-white atoms, line width, double-bond spacing, Kekulé or dashed aromatic rings, carbons
written as CH3/H3C/CH2, abbreviated groups (CO2H, CF3, OMe, Ph, NO2, ...), rotation, padding,
the bond length, and clutter (atom indices, CIP labels, a compound number as legend). Wedges and
hashes come with the molecule's stereo. RDKit cannot draw aromatic rings as circles: the dashed
inner line is its only aromatic form (Indigo draws circles).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import numpy as np

from attnkit.data.chem import require_rdkit
from attnkit.data.drawing.depiction import Depiction
from attnkit.data.drawing.fonts import document_fonts
from attnkit.data.drawing.rdkit_labels import (
    CARBON_LABELS,
    abbreviation_labels,
    condensed,
    label_carbons,
    numbered_copy,
    original_positions,
)
from attnkit.errors import AttnkitError

PALETTES = ("default", "bw", "cdk", "avalon")
COLOUR_PALETTES = ("default", "cdk", "avalon")
AROMATIC_FORMS = ("kekule", "dashed")
RDKIT_BOND = 1.5  # the length of a bond in RDKit's 2-D coordinates
MAX_SIDE = 1000  # a fitted canvas (size None) is kept under this many pixels a side
# Compound numbers as documents print them, for the legend under a molecule
LEGENDS = ("({n})", "{n}", "{n}a", "({n}b)", "Example {n}", "Compound {n}", "{n} HCl", "(+)-{n}")


@dataclass(frozen=True)
class RdkitStyle:
    """Every option of one RDKit drawing (RDKit's option names in brackets where they differ).
    `font` is a font file ("" = RDKit's own); sizes in pixels except `base_font_size` (label
    size relative to the bond length, -1 = RDKit's default), `annotation_font_scale` (indices
    and CIP labels relative to atom labels), `multiple_bond_offset` (double-bond spacing per
    bond length), `label_padding` (additionalAtomLabelPadding: room around labels, per font
    size), `padding` (fraction of the canvas) and `bond_length` (pixels per bond: the largest
    on a fixed canvas, the scale of a fitted one; -1 = as large as the canvas allows).
    `gray_luma` turns colour into gray: 1 is Pillow's luma (a yellow S at 181 of 255, as
    attnkit reads a colour file), 0 the darkest channel (every colour black).
    `carbon_labels`: none, methyl (CH3 only), chain (every carbon outside rings), all.
    `abbreviations`: the group labels drawn abbreviated (rdkit_labels.abbreviation_labels())."""

    font: str = ""
    min_font_size: int = 6
    max_font_size: int = 40
    base_font_size: float = -1.0
    annotation_font_scale: float = 0.5
    palette: str = "default"
    gray_luma: float = 1.0
    bond_line_width: float = 2.0
    scale_bond_width: bool = False
    multiple_bond_offset: float = 0.15
    label_padding: float = 0.0
    aromatic: str = "kekule"
    carbon_labels: str = "none"
    abbreviations: tuple[str, ...] = ()
    rotation: float = 0.0
    padding: float = 0.05
    bond_length: float = -1.0
    atom_indices: bool = False
    stereo_labels: bool = False
    legend: str = ""

    def __post_init__(self) -> None:
        if self.palette not in PALETTES:
            raise ValueError(f"palette must be one of {', '.join(PALETTES)}, got {self.palette}")
        if self.aromatic not in AROMATIC_FORMS:
            raise ValueError(f"aromatic must be one of {', '.join(AROMATIC_FORMS)}")
        if self.carbon_labels not in CARBON_LABELS:
            raise ValueError(f"carbon_labels must be one of {', '.join(CARBON_LABELS)}")
        if not 1 <= self.min_font_size <= self.max_font_size:
            raise ValueError("font sizes must satisfy 1 <= min_font_size <= max_font_size")
        if not 0 <= self.gray_luma <= 1:
            raise ValueError(f"gray_luma must be in [0, 1], got {self.gray_luma}")
        if not 0 <= self.padding < 0.5 or self.bond_line_width <= 0:
            raise ValueError("padding must be in [0, 0.5) and bond_line_width positive")
        if self.bond_length != -1 and self.bond_length <= 0:
            raise ValueError(f"bond_length must be positive or -1, got {self.bond_length}")


def sample_rdkit_style(rng: np.random.Generator) -> RdkitStyle:
    """A random style, every choice drawn from `rng` (the probabilities are written here)."""
    fonts = document_fonts()
    font = str(fonts[rng.integers(len(fonts))]) if fonts and rng.random() < 0.8 else ""
    min_font = int(rng.integers(6, 15))
    colour = rng.random() < 0.5
    luma = 1.0 if rng.random() < 0.3 else float(rng.uniform(0, 0.6))
    carbons = CARBON_LABELS[rng.choice(4, p=[0.7, 0.12, 0.14, 0.04])]
    labels = abbreviation_labels()
    abbreviations = tuple(label for label in labels if rng.random() < 0.7) \
        if rng.random() < 0.25 else ()
    if abbreviations and rng.random() < 0.7:  # writing every methyl as Me is a house style
        abbreviations = tuple(label for label in abbreviations if label != "Me")
    rotation = 0.0 if rng.random() < 0.5 else float(rng.uniform(0, 360))
    legend = ""
    if rng.random() < 0.1:
        legend = LEGENDS[rng.integers(len(LEGENDS))].format(n=int(rng.integers(1, 200)))
    return RdkitStyle(
        font=font, min_font_size=min_font, max_font_size=int(rng.integers(max(min_font, 16), 41)),
        base_font_size=-1.0 if rng.random() < 0.3 else float(rng.uniform(0.45, 0.9)),
        annotation_font_scale=float(rng.uniform(0.4, 0.8)),
        palette=COLOUR_PALETTES[rng.choice(3, p=[0.6, 0.25, 0.15])] if colour else "bw",
        gray_luma=luma, bond_line_width=float(rng.uniform(0.7, 4.0)),
        scale_bond_width=bool(rng.random() < 0.2),
        multiple_bond_offset=float(rng.uniform(0.1, 0.25)),
        label_padding=float(rng.uniform(0, 0.15)) if rng.random() < 0.5 else 0.0,
        aromatic="dashed" if rng.random() < 0.15 else "kekule",
        carbon_labels=carbons, abbreviations=abbreviations, rotation=rotation,
        padding=float(rng.uniform(0.02, 0.2)),
        bond_length=-1.0 if rng.random() < 0.4 else float(rng.uniform(15, 60)),
        atom_indices=bool(rng.random() < 0.04), stereo_labels=bool(rng.random() < 0.05),
        legend=legend)


def draw_rdkit_style(molecule: Any, rng: np.random.Generator,
                     size: int | tuple[int, int] | None = None) -> Depiction:
    """`draw_rdkit(molecule, sample_rdkit_style(rng), size)`."""
    return draw_rdkit(molecule, sample_rdkit_style(rng), size)


def draw_rdkit(molecule: Any, style: RdkitStyle,
               size: int | tuple[int, int] | None = None) -> Depiction:
    """A parsed RDKit molecule drawn in `style`: on a `size` x `size` (or (width, height))
    canvas, or with size None on a canvas fitted to the molecule at `style.bond_length` pixels
    a bond (30 when -1), at most MAX_SIDE a side. Atom i of `molecule` is at row i of the
    result's `atoms`, an abbreviated atom at its group's label. RDKit failing to draw the
    molecule in this style is an AttnkitError saying why."""
    chem = require_rdkit()
    from rdkit.Chem.Draw import rdMolDraw2D

    original = numbered_copy(molecule)
    drawn = condensed(original, style.abbreviations) if style.abbreviations else original
    label_carbons(drawn, style.carbon_labels)
    try:
        drawn = rdMolDraw2D.PrepareMolForDrawing(drawn, kekulize=style.aromatic == "kekule")
    except (ValueError, RuntimeError, chem.rdchem.MolSanitizeException) as error:
        raise AttnkitError(f"RDKit cannot prepare {chem.MolToSmiles(molecule)} for drawing "
                           f"in this style: {error}") from None
    width, height, bond_length = canvas(drawn, style, size)
    drawer = rdMolDraw2D.MolDraw2DCairo(width, height)
    set_options(drawer.drawOptions(), style, bond_length)
    # RDKit keeps no room for a legend on a fitted canvas: it would be drawn over the molecule
    drawer.DrawMolecule(drawn, legend=style.legend if width > 0 else "")
    drawer.FinishDrawing()
    image = to_gray(drawer.GetDrawingText(), style)
    points = [drawer.GetDrawCoords(i) for i in range(drawn.GetNumAtoms())]
    positions = np.array([[point.x, point.y] for point in points], dtype=np.float32)
    return Depiction(image, original_positions(original, drawn, positions.reshape(-1, 2)))


def canvas(drawn: Any, style: RdkitStyle,
           size: int | tuple[int, int] | None) -> tuple[int, int, float]:
    """(width, height, pixels per bond): a fixed canvas, or -1 x -1 (RDKit fits the canvas to
    the molecule) at a bond length that keeps the drawing within MAX_SIDE pixels whatever the
    rotation; a molecule less than a bond across gets a square canvas three bonds wide."""
    if size is not None:
        width, height = (size, size) if isinstance(size, int) else size
        if min(width, height) < 16:
            raise ValueError(f"a canvas must be at least 16 px a side, got {width} x {height}")
        return width, height, style.bond_length
    bond_length = style.bond_length if style.bond_length > 0 else 30.0
    xy = drawn.GetConformer().GetPositions()[:, :2]
    span = float(np.hypot(*(xy.max(axis=0) - xy.min(axis=0)))) / RDKIT_BOND  # in bonds
    if span < 1:  # one atom, or ions on one spot: RDKit would fit the canvas to one label
        side = round(max(3 * bond_length, 48))
        return side, side, bond_length
    room = MAX_SIDE * (1 - 2 * style.padding) - 4 * max(style.max_font_size, 12)
    return -1, -1, min(bond_length, max(room, 50) / max(span, 1.0))


def set_options(options: Any, style: RdkitStyle, bond_length: float) -> None:
    if style.font:
        options.fontFile = style.font
    options.minFontSize = style.min_font_size
    options.maxFontSize = style.max_font_size
    options.baseFontSize = style.base_font_size
    options.annotationFontScale = style.annotation_font_scale
    if style.palette == "bw":
        options.useBWAtomPalette()
    elif style.palette == "cdk":
        options.useCDKAtomPalette()
    elif style.palette == "avalon":
        options.useAvalonAtomPalette()
    options.bondLineWidth = style.bond_line_width
    options.scaleBondWidth = style.scale_bond_width
    options.multipleBondOffset = style.multiple_bond_offset
    options.additionalAtomLabelPadding = style.label_padding
    options.explicitMethyl = style.carbon_labels == "methyl"
    options.rotate = style.rotation
    options.padding = style.padding
    if bond_length > 0:  # RDKit's scales are pixels per unit of its coordinates (a bond: 1.5)
        options.fixedBondLength = bond_length / RDKIT_BOND
        options.scalingFactor = bond_length / RDKIT_BOND  # a fitted canvas's scale
    options.addAtomIndices = style.atom_indices
    options.addStereoAnnotation = style.stereo_labels
    options.prepareMolsBeforeDrawing = False  # done above: kekulised or not, wedges, chiral Hs


def to_gray(png: bytes, style: RdkitStyle) -> np.ndarray:
    """RDKit's PNG -> uint8 (H, W): Pillow's luma, moved towards the darkest channel by
    1 - `gray_luma` so that light colours (yellow S, cyan F) stay dark."""
    from PIL import Image

    picture = Image.open(io.BytesIO(png))
    luma = np.asarray(picture.convert("L"))
    if style.gray_luma == 1 or style.palette == "bw":
        return luma
    darkest = np.asarray(picture.convert("RGB")).min(axis=2).astype(np.float32)
    mixed = darkest + style.gray_luma * (luma.astype(np.float32) - darkest)
    return np.clip(np.rint(mixed), 0, 255).astype(np.uint8)
