"""Molecules drawn by EPAM Indigo's renderer (pip `epam-indigo`), in random or default styles.

Indigo lays the molecule out itself (its own 2-D layout, kept in the SMILES's atom order, which
is RDKit's) and draws it with Cairo. A random style varies what Indigo's options vary: bond
length, line width and relative thickness (which also scales the labels), which atoms get
labels (hetero atoms, terminal ones, or every carbon), implicit hydrogens shown or not, coloured
labels, aromatic rings as circles or as Kekulé double bonds, double-bond spacing, the stereo
marks ("Chiral", "abs"), a dark grey ink, margins and a rotation of the layout.

Where the atoms landed: Indigo scales its layout by the bond length (y flipped) and shifts it
by margins plus however far the labels reach past the atoms, measured with Cairo's font metrics
on the PNG surface (an SVG render of the same molecule measures differently, by 1-4 px, and
changes later PNG renders through Cairo's glyph cache, so it is not used). The shift is found
from the drawing itself: the single and aromatic bonds are drawn in a highlight colour one
tenth of the way from the ink to blue, which `layout_fit.fit_layout` locates (to a fraction of
a pixel) before the tint is taken back out of the grayscale image.

One Indigo instance serves a process (made on first use); every drawing first resets all its
options, so no drawing depends on the one before.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

import numpy as np

from attnkit.data.drawing.canvas import (
    check_size,
    fitted,
    on_white,
    positions_in_rdkit_order,
    rdkit_elements,
)
from attnkit.data.drawing.depiction import Depiction
from attnkit.data.drawing.layout_fit import fit_layout
from attnkit.data.drawing.tint import tinted_color, untinted
from attnkit.errors import AttnkitError

LABEL_MODES = ("hetero", "terminal-hetero", "all")
STEREO_STYLES = ("old", "ext", "none")
TINT = 0.1  # how far the bonds used to locate the drawing are pushed towards blue (0..1)
MIN_FONT = 9.0  # pixels
DEFAULT_BOND_LENGTH = 100  # pixels, Indigo's own
SINGLE, AROMATIC = 1, 4  # Indigo's bond orders drawn as one line along the bond's axis


@dataclass(frozen=True)
class IndigoStyle:
    """Indigo render options. `bond_length` in whole pixels (Indigo drops any fraction);
    `font_size` in pixels; `thickness` is Indigo's relative
    thickness (of lines and marks), `line_width` its bond line width factor; `ink` the
    gray level of lines and black labels (0 black); `rotation` in degrees, counter-clockwise."""

    bond_length: int = 40
    font_size: float = 16.0
    thickness: float = 1.0
    line_width: float = 1.0
    label_mode: Literal["hetero", "terminal-hetero", "all"] = "terminal-hetero"
    implicit_hydrogens: bool = True
    coloring: bool = False
    aromatic_circles: bool = True
    bond_spacing: float = 0.15
    stereo_style: Literal["old", "ext", "none"] = "old"
    ink: float = 0.0
    margin: int = 10
    rotation: float = 0.0

    def __post_init__(self) -> None:
        if not 5 <= self.bond_length <= 400:
            raise ValueError(f"bond_length must be in [5, 400] pixels, got {self.bond_length}")
        if not 4 <= self.font_size <= 200:
            raise ValueError(f"font_size must be in [4, 200] pixels, got {self.font_size}")
        if self.label_mode not in LABEL_MODES:
            raise ValueError(f"label_mode must be one of {', '.join(LABEL_MODES)}")
        if self.stereo_style not in STEREO_STYLES:
            raise ValueError(f"stereo_style must be one of {', '.join(STEREO_STYLES)}")
        if not 0 <= self.ink <= 0.6:
            raise ValueError(f"ink must be in [0, 0.6] (0 black), got {self.ink}")


def random_indigo_style(rng: np.random.Generator, bond_length: float) -> IndigoStyle:
    """A style drawn from `rng` around a bond length in pixels (varied by up to 25 %). Labels
    are 0.4-0.75 bond lengths high but at least MIN_FONT pixels: Indigo's own label size
    follows the bond length down to unreadable specks."""
    bond = max(5, round(bond_length * rng.uniform(0.75, 1.25)))
    return IndigoStyle(
        bond_length=bond,
        font_size=float(max(MIN_FONT, bond * rng.uniform(0.4, 0.75))),
        thickness=float(np.exp(rng.uniform(np.log(0.6), np.log(1.8)))),
        line_width=float(np.exp(rng.uniform(np.log(0.7), np.log(2.5)))),
        label_mode=str(rng.choice(LABEL_MODES, p=[0.2, 0.65, 0.15])),
        implicit_hydrogens=bool(rng.random() < 0.9),
        coloring=bool(rng.random() < 0.3),
        aromatic_circles=bool(rng.random() < 0.5),
        bond_spacing=float(rng.uniform(0.1, 0.25)),
        stereo_style=str(rng.choice(STEREO_STYLES)),
        ink=float(rng.choice([0.0, 0.0, rng.uniform(0.1, 0.35)])),
        margin=int(rng.integers(2, 25)),
        rotation=float(rng.uniform(-180, 180)) if rng.random() < 0.3 else 0.0)


def draw_indigo(smiles: str, rng: np.random.Generator, size: int | None = 256,
                defaults: bool = False) -> Depiction:
    """`smiles` drawn by Indigo in a style drawn from `rng` (with `defaults`: Indigo's own
    defaults, aromatic rings as loaded, 100 px bonds), scaled to fit `size` x `size` (None: as
    Indigo drew it). See `render_indigo`."""
    if defaults:
        return render_indigo(smiles, None, size)
    check_size(size)
    indigo, _ = indigo_session()
    indigo.resetOptions()
    molecule = load_indigo_molecule(indigo, smiles)
    molecule.layout()
    return render_indigo(smiles, random_indigo_style(rng, bond_length_for(molecule, size)), size)


def render_indigo(smiles: str, style: IndigoStyle | None, size: int | None = 256) -> Depiction:
    """`smiles` drawn by Indigo in `style` (None: Indigo's defaults), fitted to `size` x `size`
    (None: as drawn). Atom positions are in RDKit's atom order; None when Indigo numbers the
    atoms otherwise or no single or aromatic bond pins the drawing down. A SMILES RDKit or
    Indigo cannot read raises AttnkitError."""
    check_size(size)
    elements = rdkit_elements(smiles)
    indigo, renderer = indigo_session()
    indigo.resetOptions()
    indigo.setOption("render-output-format", "png")
    molecule = load_indigo_molecule(indigo, smiles)
    molecule.layout()
    if style is not None:
        apply_style(indigo, molecule, style)
    ink = style.ink if style else 0.0
    line_bonds = tint_line_bonds(indigo, molecule, ink)
    rgb = on_white(png_pixels(renderer.renderToBuffer(molecule)))
    image, bond_ink = untinted(rgb, 255 * TINT * (1 - ink))
    layout = np.array([atom.xyz()[:2] for atom in molecule.iterateAtoms()]) * [1, -1]
    bond_length = style.bond_length if style else DEFAULT_BOND_LENGTH
    atoms = fit_layout(layout, line_bonds, bond_ink,
                       bond_length / mean_bond_length(layout, molecule))
    symbols = [atom.symbol() for atom in molecule.iterateAtoms()]
    return fitted(image, positions_in_rdkit_order(atoms, symbols, elements), size)


def tint_line_bonds(indigo: Any, molecule: Any, ink: float) -> np.ndarray:
    """Highlight the bonds Indigo draws as one line along their axis (single and aromatic) in
    the tinted ink colour; their atom index pairs (M, 2)."""
    indigo.setOption("render-highlight-color-enabled", True)
    indigo.setOption("render-highlight-color",
                     ", ".join(f"{value:.4f}" for value in tinted_color(ink, TINT)))
    indigo.setOption("render-highlight-thickness-enabled", False)
    pairs = []
    for bond in molecule.iterateBonds():
        if bond.bondOrder() in (SINGLE, AROMATIC):
            bond.highlight()
            pairs.append((bond.source().index(), bond.destination().index()))
    return np.array(pairs, dtype=int).reshape(-1, 2)


@lru_cache(maxsize=1)
def indigo_session() -> tuple[Any, Any]:
    """The process's Indigo instance and its renderer, made on first use."""
    try:
        from indigo import Indigo
        from indigo.renderer import IndigoRenderer
    except ImportError:
        raise AttnkitError("Indigo drawings need EPAM Indigo: pip install epam-indigo") from None
    indigo = Indigo()
    return indigo, IndigoRenderer(indigo)


def load_indigo_molecule(indigo: Any, smiles: str) -> Any:
    from indigo import IndigoException

    try:
        return indigo.loadMolecule(smiles)
    except IndigoException as error:
        raise AttnkitError(f"Indigo cannot read the SMILES {smiles!r}: {error}") from None


def bond_length_for(molecule: Any, size: int | None) -> float:
    """A bond length (pixels) at which the laid-out molecule fills about 80 % of `size`."""
    if size is None:
        return 40.0
    points = np.array([atom.xyz()[:2] for atom in molecule.iterateAtoms()])
    extent = float(np.ptp(points, axis=0).max()) if len(points) else 0.0
    return float(np.clip(0.8 * size / (extent + 1.5), 8, 120))


def apply_style(indigo: Any, molecule: Any, style: IndigoStyle) -> None:
    """Set `style`'s options on `indigo`, and its aromatic form and rotation on `molecule`."""
    from indigo import IndigoException

    indigo.setOption("render-bond-length", float(style.bond_length))
    indigo.setOption("render-font-size", style.font_size)
    indigo.setOption("render-font-size-unit", "px")
    indigo.setOption("render-relative-thickness", style.thickness)
    indigo.setOption("render-bond-line-width", style.line_width)
    indigo.setOption("render-label-mode", style.label_mode)
    indigo.setOption("render-implicit-hydrogens-visible", style.implicit_hydrogens)
    indigo.setOption("render-coloring", style.coloring)
    indigo.setOption("render-bond-spacing", style.bond_spacing)
    indigo.setOption("render-stereo-style", style.stereo_style)
    indigo.setOption("render-base-color", ", ".join([f"{style.ink:.4f}"] * 3))
    indigo.setOption("render-margins", f"{style.margin}, {style.margin}")
    try:  # a few molecules have no Kekulé form Indigo finds: they keep the form they came in
        if style.aromatic_circles:
            molecule.aromatize()
        else:
            molecule.dearomatize()
    except IndigoException:
        pass
    if style.rotation:
        turn = np.deg2rad(style.rotation)
        cos, sin = np.cos(turn), np.sin(turn)
        for atom in molecule.iterateAtoms():
            x, y, z = atom.xyz()
            atom.setXYZ(cos * x - sin * y, sin * x + cos * y, z)


def mean_bond_length(layout: np.ndarray, molecule: Any) -> float:
    """The mean bond length of the layout (Indigo scales it to the bond length option)."""
    pairs = np.array([[b.source().index(), b.destination().index()]
                      for b in molecule.iterateBonds()], dtype=int).reshape(-1, 2)
    if len(pairs) == 0:
        return 1.0
    return float(np.linalg.norm(layout[pairs[:, 0]] - layout[pairs[:, 1]], axis=1).mean())


def png_pixels(buffer: Any) -> np.ndarray:
    """Indigo's PNG bytes -> (H, W, 4) uint8 RGBA."""
    from PIL import Image

    with Image.open(io.BytesIO(bytes(buffer))) as picture:
        return np.asarray(picture.convert("RGBA"))
