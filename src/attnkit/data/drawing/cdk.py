"""Molecules drawn by the Chemistry Development Kit (CDK 2.8, Debian `libcdk-java`) through
JPype (pip `JPype1`), in random or default styles.

CDK runs in a Java virtual machine inside this process. JPype can start one JVM per process and
never restart it, so it is started on the first CDK drawing (not at import), with CDK's jars
and their dependencies from /usr/share/java on its class path, and kept to the end of the
process. A process that has already started a JVM without CDK cannot draw with CDK; a process
that forks after starting it should not draw in the child (start worker processes with
`spawn`, each starts its own JVM, about a second).

A random style varies what CDK's `DepictionGenerator` and `StandardGenerator` vary: the font
(sans or serif families, plain or bold) and its size, stroke width, double-bond separation,
wedge width and hash spacing, which carbons get a symbol (IUPAC's recommendation, terminal
methyls as `CH3`/`H3C`, or every carbon), aromatic rings as Kekulé structures, circles
("donuts") or dashed delocalised bonds, coloured atom symbols, groups abbreviated with CDK's
own list (`obabel_superatoms.smi` in the jar: COOH, CF3, NO2, OMe, ...), atom numbers, a title
under the molecule such as a compound number, and a rotation of the layout.

Where the atoms landed: CDK lays the molecule out (`StructureDiagramGenerator`, atoms kept in
the SMILES's order, which is RDKit's) and draws it scaled and shifted by bounds that include its
labels; the single bonds (and aromatic bonds drawn as one line) are drawn in a colour tinted
towards blue, and `layout_fit.fit_layout` finds scale and shift from their ink, as for Indigo.
Abbreviated groups hide their atoms: those drawings carry no positions.
"""

from __future__ import annotations

import numpy as np

from attnkit.data.drawing.canvas import (
    check_size,
    fitted,
    positions_in_rdkit_order,
    rdkit_elements,
)
from attnkit.data.drawing.cdk_session import CdkSession, cdk_session
from attnkit.data.drawing.cdk_style import CdkStyle, random_cdk_style
from attnkit.data.drawing.depiction import Depiction
from attnkit.data.drawing.layout_fit import fit_layout
from attnkit.data.drawing.tint import untinted

TINT = 0.1  # how far the bonds used to locate the drawing are pushed towards blue (0..1)
DEFAULT_BOND_LENGTH = 26.1  # pixels: what CDK's DepictionGenerator() draws (measured)


def draw_cdk(smiles: str, rng: np.random.Generator, size: int | None = 256,
             defaults: bool = False) -> Depiction:
    """`smiles` drawn by CDK in a style drawn from `rng` (with `defaults`: CDK's
    `DepictionGenerator` defaults), scaled to fit `size` x `size` (None: as CDK drew it). See
    `render_cdk`."""
    if defaults:
        return render_cdk(smiles, None, size)
    check_size(size)
    session = cdk_session()
    molecule = session.laid_out(smiles)
    style = random_cdk_style(rng, bond_length_for(session, molecule, size))
    return render_laid_out(smiles, molecule, style, size)


def render_cdk(smiles: str, style: CdkStyle | None, size: int | None = 256) -> Depiction:
    """`smiles` drawn by CDK in `style` (None: CDK's defaults), fitted to `size` x `size`
    (None: as drawn). Atom positions are in RDKit's atom order; None when groups are
    abbreviated, when CDK numbers the atoms otherwise, or when no single bond pins the drawing
    down. A SMILES RDKit or CDK cannot read raises AttnkitError."""
    check_size(size)
    return render_laid_out(smiles, cdk_session().laid_out(smiles), style, size)


def render_laid_out(smiles: str, molecule: object, style: CdkStyle | None,
                    size: int | None) -> Depiction:
    """`render_cdk` of a molecule CDK has already parsed and laid out (it is changed)."""
    elements = rdkit_elements(smiles)
    session = cdk_session()
    if style is not None and style.rotation:
        session.rotate(molecule, style.rotation)
    layout, symbols = session.layout(molecule)
    line_bonds = session.line_bonds(molecule, style is not None and style.aromatic != "kekule")
    ink = style.ink if style else 0.0
    # CDK shows a group expanded when one of its bonds is highlighted: tint only what is whole
    abbreviated = style is not None and style.abbreviations and session.abbreviate(molecule) > 0
    if not abbreviated:
        session.tint_bonds(molecule, line_bonds, ink, TINT)
    image, bond_ink = untinted(session.render(molecule, style), 255 * TINT * (1 - ink))
    atoms = None
    if not abbreviated:
        bond_length = style.bond_length if style else DEFAULT_BOND_LENGTH
        atoms = fit_layout(layout, np.array(line_bonds, dtype=int).reshape(-1, 2), bond_ink,
                           bond_length / median_bond(layout, session, molecule))
    return fitted(image, positions_in_rdkit_order(atoms, symbols, elements), size)


def bond_length_for(session: CdkSession, molecule: object, size: int | None) -> float:
    """A bond length (pixels) at which the laid-out molecule fills about 80 % of `size`."""
    if size is None:
        return 40.0
    layout, _ = session.layout(molecule)
    extent = float(np.ptp(layout, axis=0).max()) / median_bond(layout, session, molecule)
    return float(np.clip(0.8 * size / (extent + 1.5), 8, 120))


def median_bond(layout: np.ndarray, session: CdkSession, molecule: object) -> float:
    """The median bond length of the layout (CDK scales by it), 1.5 (CDK's) without bonds."""
    pairs = np.array(session.bonds(molecule), dtype=int).reshape(-1, 2)
    if len(pairs) == 0:
        return 1.5
    return float(np.median(np.linalg.norm(layout[pairs[:, 0]] - layout[pairs[:, 1]], axis=1)))
