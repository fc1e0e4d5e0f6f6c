"""Molecule mixes on the real files: counts, determinism, roles and disjointness."""

from collections import Counter

import pytest
from rdkit import Chem

from attnkit.data.molecule_sources import SOURCES, build_mix, molecule_mix
from attnkit.data.molecule_splits import hiv_split
from attnkit.data.moses import load_moses
from attnkit.data.smiles_tokenizer import tokenize_smiles
from attnkit.errors import AttnkitError

from ..shared_data import data_dir, needs_data

COUNTS = {"moses": 12, "hiv": 10, "stereo": 6, "charged": 6, "salts": 6, "elements": 6,
          "small": 6, "large": 6}
needs_files = [needs_data("moses", "train.csv.gz"), needs_data("moses", "test.csv.gz"),
               needs_data("hiv", "hiv_smiles.csv")]


def with_data(test):
    for mark in needs_files:
        test = mark(test)
    return test


@pytest.fixture(scope="module")
def mixes():
    folder = data_dir()
    return (build_mix(folder, COUNTS, seed=0), build_mix(folder, COUNTS, seed=0, split="val"))


@with_data
def test_training_mix_has_the_counts_and_only_training_molecules(mixes):
    train, _ = mixes
    assert Counter(train.sources) == COUNTS and len(set(train.smiles)) == sum(COUNTS.values())
    assert {hiv_split(text) for text in train.smiles} == {"train"}
    for text, source in zip(train.smiles, train.sources, strict=True):
        molecule = Chem.MolFromSmiles(text)
        assert Chem.MolToSmiles(molecule) == text and "".join(tokenize_smiles(text)) == text
        heavy = molecule.GetNumHeavyAtoms()
        assert {"small": 3 <= heavy <= 12, "large": 30 <= heavy <= 60,
                "stereo": "@" in text or "/" in text or "\\" in text,
                "charged": "+" in text or "-]" in text, "salts": "." in text}.get(source, True)
    test_molecules = set(load_moses("test", data_dir(), limit=50000))
    assert not test_molecules & set(train.smiles)


@with_data
def test_validation_mix_is_disjoint_and_never_training_molecules(mixes):
    train, val = mixes
    assert Counter(val.sources) == COUNTS and not set(train.smiles) & set(val.smiles)
    assert "train" not in {hiv_split(text) for text in val.smiles}
    assert {hiv_split(text) for text, source in zip(val.smiles, val.sources, strict=True)
            if source == "hiv"} == {"val"}


@with_data
def test_a_seed_gives_one_mix(mixes):
    counts = {"moses": 5, "stereo": 3}
    again = molecule_mix(data_dir(), counts, seed=0)
    assert again == molecule_mix(data_dir(), counts, seed=0)
    assert again != molecule_mix(data_dir(), counts, seed=1)


@pytest.mark.parametrize("counts", [{"pubchem": 3}, {"moses": -1}])
def test_unknown_sources_and_negative_counts_are_errors(counts):
    with pytest.raises(AttnkitError, match="sources among"):
        molecule_mix(None, counts)
    assert "moses" in SOURCES
