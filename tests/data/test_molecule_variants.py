"""RDKit variants of hand-made molecules: each checked against what the edit must keep (RDKit
as the oracle: stereo stripped gives the molecule back, a fragment is a substructure, ...)."""

import numpy as np
import pytest
from rdkit import Chem

from attnkit.data.molecule_checks import target_canonical
from attnkit.data.molecule_sizes import fragment_variant, joined_variant
from attnkit.data.molecule_variants import (
    charged_variant,
    element_variant,
    salt_variant,
    stereo_variant,
)

BASES = ["CC(N)c1ccc(Cl)cc1", "CN(C)CCc1ccncc1", "O=C(NC1CCCCC1)c1ccc(Br)cc1",
         "CC(=O)Nc1ccc(N)cc1", "C/C=C/C(O)c1ccccn1", "Cc1nc2ccccc2n1CC1CCN(C)CC1"]
PARTNERS = ["CC(C)(C)OC(=O)N1CCC(C(=O)Nc2ccc(S(=O)(=O)N3CCOCC3)cc2)CC1", "Cc1ccc(O)cc1N",
            "O=C(Nc1ccc2[nH]ccc2c1)c1cc(-c2ccccc2)on1"]
SEEDS = range(8)


def variants(function):
    """(base, variant) for every base and seed where the variant exists; each variant also
    passes the target checks."""
    found = []
    for smiles in BASES:
        base = Chem.MolFromSmiles(smiles)
        for seed in SEEDS:
            made = function(base, np.random.default_rng(seed))
            if made is not None:
                assert target_canonical(made, np.random.default_rng(seed)) is not None
                found.append((base, made))
    assert len(found) >= len(BASES)
    return found


def canonical(molecule) -> str:
    return Chem.MolToSmiles(molecule)


def flat(molecule) -> str:
    copy = Chem.Mol(molecule)
    Chem.RemoveStereochemistry(copy)
    return canonical(copy)


def test_stereo_variant_only_adds_stereo():
    made = variants(stereo_variant)
    for base, isomer in made:
        assert any(mark in canonical(isomer) for mark in "@/\\")
        assert flat(isomer) == flat(base)
    three_centres = Chem.MolFromSmiles("CC(N)C(O)C(C)Cl")  # 8 stereoisomers
    isomers = {canonical(stereo_variant(three_centres, np.random.default_rng(seed)))
               for seed in range(8)}
    assert len(isomers) >= 3 and all(text.count("[C@") == 3 for text in isomers)
    assert stereo_variant(Chem.MolFromSmiles("c1ccccc1CC"), np.random.default_rng(0)) is None


def test_charged_variant_has_charges_and_keeps_the_carbon_skeleton():
    made = variants(charged_variant)
    kinds = set()
    for base, charged in made:
        charges = [atom.GetFormalCharge() for atom in charged.GetAtoms()]
        assert any(charges)
        carbons = sum(atom.GetSymbol() == "C" for atom in charged.GetAtoms())
        assert carbons - sum(atom.GetSymbol() == "C" for atom in base.GetAtoms()) in (0, 1)
        text = canonical(charged)
        kinds.update(kind for kind, mark in [("nitro", "[N+](=O)[O-]"), ("carboxylate",
                     "C(=O)[O-]"), ("ammonium", "H+]"), ("oxide", "+]([O-])"), ("n-oxide",
                     "[n+]([O-])"), ("pyridinium", "[n+]")] if mark in text)
    assert {"nitro", "carboxylate", "ammonium"} <= kinds


def test_salt_variant_is_neutral_overall_and_keeps_the_molecule():
    for base, salt in variants(salt_variant):
        parts = Chem.GetMolFrags(salt, asMols=True)
        assert len(parts) >= 2 and Chem.GetFormalCharge(salt) == 0
        largest = max(parts, key=lambda part: part.GetNumHeavyAtoms())
        assert largest.GetNumHeavyAtoms() >= base.GetNumHeavyAtoms()
        small = {canonical(part) for part in parts if part is not largest}
        assert small <= {"O", "Cl", "Br", "[Cl-]", "[Br-]", "[Na+]", "[K+]"}


def test_element_variant_brings_rarer_elements():
    elements = set()
    for base, swapped in variants(element_variant):
        assert swapped.GetNumHeavyAtoms() >= base.GetNumHeavyAtoms()
        elements.update(atom.GetSymbol() for atom in swapped.GetAtoms())
    assert len(elements & {"I", "B", "Si", "P"}) >= 3


def test_fragments_are_small_substructures():
    for base, piece in variants(fragment_variant):
        assert 3 <= piece.GetNumHeavyAtoms() <= 12
        assert base.HasSubstructMatch(piece)


@pytest.mark.parametrize("seed", range(4))
def test_joined_molecules_are_large_and_hold_the_first(seed):
    rng = np.random.default_rng(seed)
    first = Chem.MolFromSmiles(BASES[2])  # 16 heavy atoms, partners of 9-29: 28-51 atoms
    partners = iter([Chem.MolFromSmiles(PARTNERS[i % len(PARTNERS)]) for i in range(200)])
    joined = joined_variant(first, lambda: next(partners), rng)
    assert joined is not None and 30 <= joined.GetNumHeavyAtoms() <= 60
    assert joined.HasSubstructMatch(first) and len(Chem.GetMolFrags(joined)) == 1
    assert target_canonical(joined, rng) is not None
