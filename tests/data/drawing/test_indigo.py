"""Indigo drawings: known molecules drawn with their atoms where RDKit's molecule says they
are; a label-free ring placed exactly (centred, at the asked bond length); seeds repeat."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from attnkit.errors import AttnkitError

from .depiction_checks import KNOWN, bond_length, check_picture, check_positions, toolkit_missing


@pytest.fixture(autouse=True)
def indigo_installed() -> None:
    if importlib.util.find_spec("indigo") is None:
        toolkit_missing("Indigo is not installed (pip install epam-indigo)")


@pytest.mark.parametrize("name", sorted(KNOWN))
def test_defaults_draw_known_molecules_with_positions(name: str) -> None:
    from attnkit.data.drawing.indigo import draw_indigo

    depiction = draw_indigo(KNOWN[name], np.random.default_rng(0), size=None, defaults=True)
    check_picture(depiction, None)
    check_positions(depiction, KNOWN[name], carbon_on_ink=1.0)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("name", sorted(KNOWN))
def test_random_styles_draw_known_molecules_with_positions(name: str, seed: int) -> None:
    from attnkit.data.drawing.indigo import draw_indigo

    depiction = draw_indigo(KNOWN[name], np.random.default_rng(seed), size=200)
    check_picture(depiction, 200)
    check_positions(depiction, KNOWN[name])


@pytest.mark.parametrize("bond, margin", [(40, 10), (33, 3)])
def test_a_ring_without_labels_lands_centred_at_the_bond_length(bond: int, margin: int) -> None:
    """Without labels Indigo's bounds are the atoms' (plus a symmetric pad), so the atoms'
    box is centred in the picture, and the bonds are the asked length."""
    from attnkit.data.drawing.indigo import IndigoStyle, render_indigo

    style = IndigoStyle(bond_length=bond, margin=margin, aromatic_circles=False)
    depiction = render_indigo("C1CCCCC1", style, size=None)
    atoms, (H, W) = depiction.atoms, depiction.image.shape
    np.testing.assert_allclose((atoms.min(axis=0) + atoms.max(axis=0)) / 2, [W / 2, H / 2],
                               atol=0.6)
    assert abs(bond_length(atoms, "C1CCCCC1") - bond) < 0.2
    default = render_indigo("C1CCCCC1", None, size=None)
    assert abs(bond_length(default.atoms, "C1CCCCC1") - 100) < 0.5  # Indigo's own bond length


def test_the_same_seed_gives_the_same_drawing() -> None:
    from attnkit.data.drawing.indigo import draw_indigo

    first = draw_indigo(KNOWN["caffeine"], np.random.default_rng(3), 128)
    draw_indigo(KNOWN["stereo"], np.random.default_rng(4), 300)  # options in between
    again = draw_indigo(KNOWN["caffeine"], np.random.default_rng(3), 128)
    assert np.array_equal(first.image, again.image)
    assert np.array_equal(first.atoms, again.atoms)
    other = draw_indigo(KNOWN["caffeine"], np.random.default_rng(5), 128)
    assert not np.array_equal(first.image, other.image)


def test_explicit_hydrogens_indigo_keeps_give_no_positions() -> None:
    from attnkit.data.drawing.indigo import draw_indigo

    depiction = draw_indigo("[H]OC(=O)C", np.random.default_rng(0), 128)  # RDKit drops the H
    check_picture(depiction, 128)
    assert depiction.atoms is None


def test_unreadable_smiles_and_bad_styles_are_refused() -> None:
    from attnkit.data.drawing.indigo import IndigoStyle, draw_indigo

    with pytest.raises(AttnkitError):
        draw_indigo("C1CC(", np.random.default_rng(0))
    with pytest.raises(ValueError, match="label_mode"):
        IndigoStyle(label_mode="none")
    with pytest.raises(AttnkitError, match="size"):
        draw_indigo("CCO", np.random.default_rng(0), size=8)
