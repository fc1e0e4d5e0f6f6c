"""The HIV split rule: literal splits worked out with coreutils' sha256sum (the first 16 hex
digits as a fraction of 2**64), the same split for any spelling of a molecule, and the loader
on the shared HIV file."""

from __future__ import annotations

import pytest

from attnkit.data.chem import canonical_smiles
from attnkit.data.molecule_splits import hiv_split, load_hiv, split_fraction
from attnkit.errors import AttnkitError

from ..shared_data import data_dir, needs_data

# printf '%s' SMILES | sha256sum: ab1de819ede91df4... -> 0.6684, and so on
WORKED = {"CCO": ("train", 0.6684), "c1ccccc1": ("train", 0.0773),
          "CCN(CC)CC": ("val", 0.8751), "CC(C)O": ("val", 0.8582),
          "CCCCCC": ("test", 0.9161), "CS(C)=O": ("test", 0.9347), "CI": ("test", 0.9944)}


@pytest.mark.parametrize("smiles", sorted(WORKED))
def test_splits_worked_by_hand(smiles: str) -> None:
    split, fraction = WORKED[smiles]
    assert abs(split_fraction(smiles) - fraction) < 1e-4
    assert hiv_split(smiles) == split


def test_every_spelling_of_a_molecule_gets_its_split() -> None:
    for spelling in ("CCCCCC", "C(CCCC)C", "C(C)CCCC"):
        assert hiv_split(canonical_smiles(spelling)) == "test"


@needs_data("hiv", "hiv_smiles.csv")
def test_loaded_molecules_are_canonical_unique_and_in_their_split() -> None:
    test = load_hiv("test", data_dir(), limit=60)
    val = load_hiv("val", data_dir(), limit=30)
    assert len(test) == 60 and len(val) == 30 and len(set(test)) == 60
    assert all(hiv_split(s) == "test" and canonical_smiles(s) == s for s in test)
    assert all(hiv_split(s) == "val" for s in val)
    assert not set(test) & set(load_hiv("train", data_dir(), limit=500))


def test_unknown_split_and_missing_file_are_errors(tmp_path) -> None:  # noqa: ANN001
    with pytest.raises(AttnkitError, match="split"):
        load_hiv("validation", tmp_path)
    with pytest.raises(AttnkitError, match="not found"):
        load_hiv("test", tmp_path)
