"""Fitting a drawing to a square canvas moves its atoms with its pixels; positions are kept
only when the toolkit numbers atoms as RDKit does."""

from __future__ import annotations

import numpy as np
import pytest

from attnkit.data.drawing.canvas import fitted, positions_in_rdkit_order, rdkit_elements
from attnkit.errors import AttnkitError


@pytest.mark.parametrize("size", [64, 300])
def test_atoms_move_with_the_pixels(size: int) -> None:
    image = np.full((50, 120), 255, dtype=np.uint8)
    atoms = np.array([[20.5, 10.5], [100.5, 40.5]], dtype=np.float32)
    for x, y in atoms:
        image[int(y) - 1: int(y) + 2, int(x) - 1: int(x) + 2] = 0  # a 3 x 3 dot at each atom
    depiction = fitted(image, atoms, size)
    assert depiction.image.shape == (size, size)
    for x, y in depiction.atoms:  # the ink around each moved atom is centred on it
        top, left = int(y) - 8, int(x) - 8
        darkness = 255.0 - depiction.image[top: top + 17, left: left + 17]
        rows, columns = np.mgrid[top: top + 17, left: left + 17] + 0.5
        centre = np.array([(columns * darkness).sum(), (rows * darkness).sum()]) / darkness.sum()
        np.testing.assert_allclose(centre, [x, y], atol=0.5)


def test_size_none_keeps_the_drawing() -> None:
    image = np.full((20, 30), 255, dtype=np.uint8)
    atoms = np.array([[1.0, 2.0]], dtype=np.float32)
    depiction = fitted(image, atoms, None)
    assert depiction.image is image and depiction.atoms is atoms


def test_positions_need_the_same_elements_in_the_same_order() -> None:
    atoms = np.zeros((3, 2), dtype=np.float32)
    elements = rdkit_elements("OCN")
    assert elements == ["O", "C", "N"]
    assert positions_in_rdkit_order(atoms, ["O", "C", "N"], elements) is atoms
    assert positions_in_rdkit_order(atoms, ["N", "C", "O"], elements) is None
    assert positions_in_rdkit_order(atoms, ["H", "O", "C", "N"], elements) is None


def test_unparsable_smiles_is_an_error() -> None:
    with pytest.raises(AttnkitError, match="cannot parse"):
        rdkit_elements("C1CC")
