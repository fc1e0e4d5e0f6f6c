"""A molecule drawn for training in a toolkit's style: the target reads back as the molecule, is
written as the picture shows it (spatial order, aromatic rings as drawn), its atoms lie on the
picture's ink, and the crop keeps the molecule while dropping a label far from it."""

from __future__ import annotations

import numpy as np
import pytest

from attnkit.data.chem import canonical_smiles, parse_molecule
from attnkit.data.drawing.depiction import Depiction
from attnkit.data.drawing.styled import StyleMix, draw_styled, drawing_of, fitted_to_ink
from attnkit.data.molecule_render import SPATIAL_DIRECTION

pytest.importorskip("rdkit")
MOLECULES = ["CC(=O)Nc1ccc(O)cc1", "C[N+](=O)[O-]", "CC(=O)[O-].[Na+]", "C[C@H](N)C(=O)O",
             "Clc1ccc2ncccc2c1"]


def dark_near(image: np.ndarray, point: np.ndarray, radius: int = 10) -> bool:
    """Ink within `radius` px: a label's centre may fall in the hole of a large "O"."""
    x, y = np.round(point).astype(int)
    window = image[max(y - radius, 0): y + radius + 1, max(x - radius, 0): x + radius + 1]
    return window.size > 0 and int(window.min()) < 225  # thin gray lines count


@pytest.mark.parametrize("renderer", ["rdkit", "indigo"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_drawing_reads_back_as_its_molecule_with_atoms_on_ink(renderer, seed):
    for number, smiles in enumerate(MOLECULES):
        drawn = draw_styled(smiles, renderer, seed * 100 + number, 160, degrade_fraction=0.0)
        assert drawn.image.shape == (160, 160) and drawn.image.dtype == np.uint8
        assert canonical_smiles(drawn.smiles) == canonical_smiles(smiles)
        known = drawn.atoms[~np.isnan(drawn.atoms[:, 0])]
        on_ink = [dark_near(drawn.image, point) for point in known]
        assert sum(on_ink) >= 0.8 * len(on_ink), (smiles, renderer, seed)


def test_the_same_seed_draws_the_same_picture_and_another_seed_another():
    first, again = (draw_styled(MOLECULES[0], "rdkit", 7, 128) for _ in range(2))
    other = draw_styled(MOLECULES[0], "rdkit", 8, 128)
    assert np.array_equal(first.image, again.image) and first.smiles == again.smiles
    assert not np.array_equal(first.image, other.image)


def test_the_target_writes_rings_as_drawn_and_atoms_left_to_right():
    molecule = parse_molecule("c1ccccc1O")
    atoms = np.array([[10, 0], [20, 0], [30, 0], [40, 0], [50, 0], [60, 0], [0, 0]],
                     dtype=np.float32)
    depiction = Depiction(np.full((8, 8), 255, np.uint8), atoms)
    kekule = drawing_of(molecule, depiction, aromatic_rings=False, spatial=True)
    rings = drawing_of(molecule, depiction, aromatic_rings=True, spatial=True)
    assert "=" in kekule.smiles and "c" not in kekule.smiles
    assert rings.smiles.startswith("Oc1") and "=" not in rings.smiles
    assert canonical_smiles(kekule.smiles) == canonical_smiles(rings.smiles) == "Oc1ccccc1"
    ranks = kekule.atoms @ SPATIAL_DIRECTION  # the first atom written is the leftmost
    assert ranks[0] == ranks.min()
    unknown = drawing_of(molecule, Depiction(depiction.image, None), False, spatial=True)
    assert np.isnan(unknown.atoms).all() and len(unknown.atoms) == 7


def test_the_crop_drops_a_far_label_and_keeps_the_atoms_where_they_were_drawn():
    image = np.full((400, 900), 255, np.uint8)
    image[100:300, 100:300] = 0  # the "molecule": a dark square
    image[190:210, 800:830] = 0  # a compound number far to the right
    atoms = np.array([[100, 100], [299, 299]], dtype=np.float32)
    fitted = fitted_to_ink(Depiction(image, atoms), 100)
    assert fitted.image.shape == (100, 100)
    margin = fitted.atoms[0, 0]  # the crop keeps a few pixels of paper around the ink
    assert 0 <= margin < 5
    np.testing.assert_allclose(fitted.atoms, [[margin, margin], [99.5 - margin, 99.5 - margin]],
                               atol=1.0)
    assert fitted.image[50, 50] == 0 and fitted.image[8, 8] == 0  # the square fills the canvas


def test_a_style_mix_chooses_each_renderer_in_its_share_fixed_by_the_seed():
    mix = StyleMix(("rdkit", "indigo"), (3.0, 1.0))
    chosen = mix.renderer_of(4000, seed=5)
    assert chosen == mix.renderer_of(4000, seed=5) != mix.renderer_of(4000, seed=6)
    assert abs(chosen.count("rdkit") / 4000 - 0.75) < 0.03
    with pytest.raises(ValueError, match="renderers must be among"):
        StyleMix(("chemdraw",), (1.0,))


class ToolkitFailure(Exception):
    """Not an AttnkitError: a toolkit's own exception (Indigo raises IndigoException)."""


def test_a_toolkit_that_fails_on_a_molecule_hands_it_to_rdkit(monkeypatch):
    from attnkit.data.drawing import styled

    def failing(smiles, rng):
        raise ToolkitFailure("array: invalid index 0 (size=0)")

    monkeypatch.setitem(styled.DRAW, "indigo", failing)
    drawn = draw_styled(MOLECULES[1], "indigo", 3, 128, degrade_fraction=0.0)
    assert canonical_smiles(drawn.smiles) == canonical_smiles(MOLECULES[1])
    assert int(drawn.image.min()) < 128  # a real drawing, not a blank
    monkeypatch.setitem(styled.DRAW, "rdkit", failing)
    with pytest.raises(ToolkitFailure):
        draw_styled(MOLECULES[1], "rdkit", 3, 128)
