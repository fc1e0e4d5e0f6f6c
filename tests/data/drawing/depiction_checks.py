"""What every renderer's drawing must satisfy, checked against RDKit's view of the molecule
(an oracle outside the renderers): a picture with ink, and atom positions that lie on or next
to the ink and keep the molecule's shape (bonded atoms one bond length apart, others farther).
"""

from __future__ import annotations

import numpy as np

from attnkit.data.chem import parse_molecule
from attnkit.data.drawing.depiction import Depiction

from ...unavailable import unavailable

KNOWN = {  # the molecules every renderer is tried on
    "benzene": "c1ccccc1",
    "caffeine": "Cn1c(=O)c2c(ncn2C)n(C)c1=O",
    "nitro": "C[N+](=O)[O-]",
    "salt": "CC(=O)[O-].[Na+]",
    "stereo": "C[C@H](N)C(=O)O",
}
INK = 235  # a pixel lighter than this is paper


def toolkit_missing(reason: str) -> None:
    """Skip the calling test for a missing drawing toolkit; fail it in CI (CI=true), where the
    toolkits are part of the image and a missing one must not pass green."""
    unavailable(reason, "drawing toolkit")


def check_picture(depiction: Depiction, size: int | None) -> None:
    image = depiction.image
    assert image.dtype == np.uint8 and image.ndim == 2
    if size is not None:
        assert image.shape == (size, size)
    assert image.max() == 255  # paper is white
    assert (image < 128).sum() >= 30, "hardly any ink"


def bond_length(atoms: np.ndarray, smiles: str) -> float:
    molecule = parse_molecule(smiles)
    lengths = [np.linalg.norm(atoms[b.GetBeginAtomIdx()] - atoms[b.GetEndAtomIdx()])
               for b in molecule.GetBonds()]
    return float(np.median(lengths))


def check_positions(depiction: Depiction, smiles: str, carbon_on_ink: float | None = None
                    ) -> None:
    """Positions in RDKit's atom order, on the picture, near ink, with the molecule's shape.
    With `carbon_on_ink` (pixels), every carbon with two or more bonds (drawn without a label
    in the style tried) must lie that close to ink."""
    molecule = parse_molecule(smiles)
    atoms = depiction.atoms
    assert atoms is not None and atoms.shape == (molecule.GetNumAtoms(), 2)
    assert atoms.dtype == np.float32 and np.isfinite(atoms).all()
    H, W = depiction.image.shape
    assert (atoms >= 0).all() and (atoms[:, 0] <= W).all() and (atoms[:, 1] <= H).all()
    length = bond_length(atoms, smiles)
    ink = np.argwhere(depiction.image < INK)[:, ::-1] + 0.5  # pixel centres, (x, y)
    for atom in molecule.GetAtoms():
        i = atom.GetIdx()
        to_ink = np.linalg.norm(ink - atoms[i], axis=1).min()
        assert to_ink < 0.35 * length, f"atom {i} ({atom.GetSymbol()}) {to_ink:.1f} px from ink"
        if carbon_on_ink is not None and atom.GetSymbol() == "C" and atom.GetDegree() >= 2:
            assert to_ink <= carbon_on_ink, f"carbon {i} is {to_ink:.2f} px off its bonds"
    bonded = {tuple(sorted((b.GetBeginAtomIdx(), b.GetEndAtomIdx())))
              for b in molecule.GetBonds()}
    for i in range(len(atoms)):
        for j in range(i + 1, len(atoms)):
            distance = np.linalg.norm(atoms[i] - atoms[j])
            if (i, j) in bonded:
                assert abs(distance / length - 1) < 0.15, f"bond {i}-{j}: {distance:.1f} px"
            else:
                assert distance > 1.3 * length, f"atoms {i}, {j} not bonded, {distance:.1f} px"
