import numpy as np
import pytest

from attnkit.data.chem import (
    canonical_smiles,
    draw_molecule,
    parse_molecule,
    same_molecule,
    tanimoto_similarity,
    write_smiles,
)
from attnkit.data.smiles_tokenizer import is_atom_token, tokenize_smiles


def test_canonical_smiles_and_parsing():
    assert canonical_smiles("C1CC(") is None and canonical_smiles("OCC") == "CCO"
    assert parse_molecule("") is None and parse_molecule("C1CC(") is None


def test_same_molecule_and_similarity():
    ethanol, benzene = parse_molecule("OCC"), parse_molecule("C1=CC=CC=C1")
    assert same_molecule(ethanol, parse_molecule("CCO"))
    assert same_molecule(benzene, parse_molecule("c1ccccc1"))
    assert tanimoto_similarity(ethanol, parse_molecule("CCO")) == 1.0
    assert tanimoto_similarity(ethanol, benzene) == 0.0  # no atom environment in common
    assert tanimoto_similarity(parse_molecule("CCN"), parse_molecule("CCO")) == 3 / 9


def test_drawing_is_grayscale_ink_on_white():
    image, positions = draw_molecule(parse_molecule("CCO"), 64, padding=0.05, font_size=11)
    assert image.shape == (64, 64) and image.dtype == np.uint8 and positions.shape == (3, 2)
    assert np.median(image) == 255 and image.min() < 100


def test_write_smiles_follows_the_ranks_and_reports_the_atom_order():
    molecule = parse_molecule("CC(=O)Nc1ccc(Cl)cc1")
    text, order = write_smiles(molecule)
    assert text == canonical_smiles("CC(=O)Nc1ccc(Cl)cc1")
    assert sorted(order) == list(range(molecule.GetNumAtoms()))
    # ranks that start at the chlorine (atom 8) and otherwise keep RDKit's numbering
    ranks = [i + 1 if i < 8 else (0 if i == 8 else i) for i in range(molecule.GetNumAtoms())]
    text, order = write_smiles(molecule, ranks)
    assert text.startswith("Cl") and order[0] == 8
    assert canonical_smiles(text) == canonical_smiles("CC(=O)Nc1ccc(Cl)cc1")
    symbols = [molecule.GetAtomWithIdx(i).GetSymbol() for i in order]
    written = [t for t in tokenize_smiles(text) if is_atom_token(t)]
    assert [s.upper() for s in symbols] == [t.upper() for t in written]
    with pytest.raises(ValueError, match="each of 0 .. atoms - 1 once"):
        write_smiles(molecule, [0] * molecule.GetNumAtoms())


def test_kekule_smiles_write_the_double_bonds_a_drawing_shows():
    from rdkit import Chem
    from rdkit.Chem.Draw import rdMolDraw2D

    source = "Cc1ccc2[nH]c(-c3ccncc3)nc2c1"
    molecule = parse_molecule(source)
    drawn = rdMolDraw2D.PrepareMolForDrawing(molecule)  # what MolDraw2D draws: Kekulé bonds
    ranks = list(range(molecule.GetNumAtoms()))[::-1]
    for text, order in (write_smiles(molecule, kekule=True),
                        write_smiles(molecule, ranks, kekule=True)):
        assert not any(token.islower() for token in tokenize_smiles(text))  # no aromatic atoms
        assert canonical_smiles(text) == canonical_smiles(source)
        written = Chem.MolFromSmiles(text, sanitize=False)  # bonds exactly as written
        for bond in written.GetBonds():  # atom k of `text` is atom order[k] of the molecule
            twin = drawn.GetBondBetweenAtoms(order[bond.GetBeginAtomIdx()],
                                             order[bond.GetEndAtomIdx()])
            assert twin.GetBondType() == bond.GetBondType()
