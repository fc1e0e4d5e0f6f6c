import numpy as np

from attnkit.data.chem import (
    canonical_smiles,
    draw_molecule,
    parse_molecule,
    same_molecule,
    tanimoto_similarity,
)


def test_canonical_smiles_and_parsing():
    assert canonical_smiles("C1CC(") is None and canonical_smiles("OCC") == "CCO"
    assert parse_molecule("") is None and parse_molecule("C1CC(") is None


def test_same_molecule_and_similarity():
    ethanol, benzene = parse_molecule("OCC"), parse_molecule("C1=CC=CC=C1")
    assert same_molecule(ethanol, parse_molecule("CCO"))
    assert same_molecule(benzene, parse_molecule("c1ccccc1"))
    assert tanimoto_similarity(ethanol, parse_molecule("CCO")) == 1.0
    assert 0.0 <= tanimoto_similarity(ethanol, benzene) < 0.5


def test_drawing_is_grayscale_ink_on_white():
    image = draw_molecule(parse_molecule("CCO"), 64, padding=0.05, font_size=11)
    assert image.shape == (64, 64) and image.dtype == np.uint8
    assert np.median(image) == 255 and image.min() < 100
