"""Everything attnkit asks of RDKit, in one module (the `chem` extra): parsing and canonical
SMILES, fingerprint similarity, 2-D drawings with their atoms' positions, and SMILES written in
a chosen atom order.

RDKit is imported inside the functions, so attnkit imports without it; the first use without
it is an AttnkitError that says which extra to install.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from types import ModuleType
from typing import Any

import numpy as np

from attnkit.errors import AttnkitError


def require_rdkit() -> ModuleType:
    """The `rdkit.Chem` module, with its warnings silenced, or an error naming the extra."""
    try:
        from rdkit import Chem, RDLogger
    except ImportError:
        raise AttnkitError("molecule support needs RDKit: pip install attnkit[chem]") from None
    RDLogger.DisableLog("rdApp.*")
    return Chem


def parse_molecule(smiles: str) -> Any | None:
    """The RDKit molecule of `smiles`, or None when RDKit cannot parse it (or it is empty)."""
    if not smiles:
        return None
    return require_rdkit().MolFromSmiles(smiles)


def canonical_smiles(smiles: str) -> str | None:
    molecule = parse_molecule(smiles)
    return None if molecule is None else require_rdkit().MolToSmiles(molecule)


def molfile_smiles(text: str) -> str | None:
    """The canonical SMILES of the first record of an MDL molfile / SD file `text`, as drawn: None
    when RDKit cannot read it or sanitise it (an atom over its valence, say), or when an atom has
    no element (`*`, `R`). Hydrogens drawn as atoms are folded into their neighbours, also those
    that fix a double bond's geometry (an imine's N-H: the drawing shows no E/Z there)."""
    chem = require_rdkit()
    molecule = chem.MolFromMolBlock(text.split("$$$$")[0], sanitize=True, removeHs=False)
    if molecule is None or any(atom.GetAtomicNum() == 0 for atom in molecule.GetAtoms()):
        return None
    hydrogens = chem.RemoveHsParameters()
    hydrogens.removeDefiningBondStereo = True
    try:
        molecule = chem.RemoveHs(molecule, hydrogens)
    except (ValueError, RuntimeError):  # RDKit's sanitisation errors
        return None
    return canonical_smiles(chem.MolToSmiles(molecule))  # read back: a SMILES that parses


def same_molecule(first: Any, second: Any) -> bool:
    """Whether two parsed molecules have the same canonical SMILES."""
    chem = require_rdkit()
    return chem.MolToSmiles(first) == chem.MolToSmiles(second)


def tanimoto_similarity(first: Any, second: Any) -> float:
    """Tanimoto similarity of the Morgan fingerprints (radius 2, 2048 bits) of two molecules."""
    require_rdkit()
    from rdkit import DataStructs
    from rdkit.Chem import rdFingerprintGenerator

    generator = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048)
    return DataStructs.TanimotoSimilarity(generator.GetFingerprint(first),
                                          generator.GetFingerprint(second))


def draw_molecule(molecule: Any, size: int, padding: float, font_size: int,
                  rotation: float | None = None,
                  bond_width: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """A black-and-white depiction of a parsed molecule: grayscale uint8 (size, size), black
    drawing on white, and where each atom was drawn: (N, 2) float32 (x right, y down, in
    pixels), row i for RDKit atom i, rotation included. `font_size` is the smallest label size
    in pixels; `rotation` (degrees) and `bond_width` (pixels) keep RDKit's defaults when None."""
    require_rdkit()
    from PIL import Image
    from rdkit.Chem.Draw import rdMolDraw2D

    drawer = rdMolDraw2D.MolDraw2DCairo(size, size)
    options = drawer.drawOptions()
    options.useBWAtomPalette()
    options.padding = padding
    options.minFontSize = font_size
    if rotation is not None:
        options.rotate = rotation
    if bond_width is not None:
        options.bondLineWidth = bond_width
    drawer.DrawMolecule(molecule)
    drawer.FinishDrawing()
    image = np.asarray(Image.open(io.BytesIO(drawer.GetDrawingText())).convert("L"))
    points = [drawer.GetDrawCoords(i) for i in range(molecule.GetNumAtoms())]
    positions = np.array([[point.x, point.y] for point in points], dtype=np.float32)
    return image, positions.reshape(-1, 2)


def write_smiles(molecule: Any, ranks: Sequence[int] | None = None,
                 kekule: bool = False) -> tuple[str, list[int]]:
    """A SMILES of `molecule` and the RDKit atom index of each atom in the order it writes them.

    Without `ranks` it is RDKit's canonical SMILES. With `ranks` (one distinct integer per atom)
    the SMILES starts at the atom of the lowest rank and, wherever it branches, takes the
    neighbours in rank order, so the atom order follows the ranks instead of RDKit's canonical
    ranking (the output order is read from the same call that wrote the string).
    With `kekule`, aromatic rings are written with the single and double bonds a drawing of
    `molecule` shows (`C1=CC=CC=C1`, not `c1ccccc1`): the same Kekulé form RDKit draws.
    """
    chem = require_rdkit()
    if kekule:  # before any renumbering: the drawing kekulised the molecule in this atom order
        molecule = chem.Mol(molecule)
        chem.Kekulize(molecule, clearAromaticFlags=True)
    if ranks is None:
        smiles = chem.MolToSmiles(molecule, kekuleSmiles=kekule)
        return smiles, list(molecule.GetPropsAsDict(True, True)["_smilesAtomOutputOrder"])
    if sorted(ranks) != list(range(molecule.GetNumAtoms())):
        raise ValueError("ranks must hold each of 0 .. atoms - 1 once")
    by_rank = [int(i) for i in np.argsort(np.asarray(ranks), kind="stable")]
    renumbered = chem.RenumberAtoms(molecule, by_rank)  # new atom j is old atom by_rank[j]
    smiles = chem.MolToSmiles(renumbered, canonical=False, kekuleSmiles=kekule)
    order = renumbered.GetPropsAsDict(True, True)["_smilesAtomOutputOrder"]
    return smiles, [by_rank[j] for j in order]
