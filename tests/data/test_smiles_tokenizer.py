import os

import pytest

from attnkit.data.moses import load_moses
from attnkit.data.smiles_tokenizer import (
    TokenVocabulary,
    length_covering,
    tokenize,
    tokenize_smiles,
)
from attnkit.errors import AttnkitError

from ..shared_data import needs_data

DATA = os.environ.get("ATTNKIT_DATA", "")
needs_moses = needs_data("moses", "test.csv.gz")


@needs_moses
def test_round_trip_on_real_moses_smiles():
    smiles = load_moses("test", DATA, limit=3000)
    seen = set()
    for text in smiles:
        tokens = tokenize_smiles(text)
        assert "".join(tokens) == text
        seen.update(tokens)
    assert {"Cl", "Br", "[nH]", "c", "(", "=", "1"} <= seen
    assert not any(token in ("B", "r", "l") for token in seen)  # Br / Cl never split


@pytest.mark.parametrize("text, expected", [
    ("C[C@@H](N)c1ccc[nH]1", ["C", "[C@@H]", "(", "N", ")", "c", "1", "c", "c", "c", "[nH]",
                               "1"]),
    ("BrCCl", ["Br", "C", "Cl"]),
    ("C%12CC%12", ["C", "%12", "C", "C", "%12"]),
    ("C#N.O=C/C=C\\C", ["C", "#", "N", ".", "O", "=", "C", "/", "C", "=", "C", "\\", "C"]),
    ("[Na+].[Cl-]", ["[Na+]", ".", "[Cl-]"]),
])
def test_atom_level_tokens(text, expected):
    assert tokenize_smiles(text) == expected


def test_character_no_token_covers_is_named_with_its_position():
    with pytest.raises(AttnkitError, match=r"'X' at position 2"):
        tokenize_smiles("CCXC")
    assert tokenize("ab c", "characters") == ["a", "b", " ", "c"]


def test_vocabulary_round_trip_and_unknown_tokens():
    vocab = TokenVocabulary.build([["C", "Cl"], ["c", "1", "c"]])
    assert vocab.to_list()[:4] == ["<pad>", "<unk>", "<", ">"]
    ids = vocab.encode(["Cl", "c", "1"])
    assert vocab.decode(ids + [vocab.end_id, vocab.index["C"]]) == "Clc1"
    assert TokenVocabulary.from_list(vocab.to_list()).encode(["Cl"]) == vocab.encode(["Cl"])
    with pytest.raises(AttnkitError, match="never seen in training: 'Br'"):
        vocab.encode(["C", "Br"])


def test_length_covering_takes_the_quantile_upwards():
    lengths = list(range(1, 1001))
    assert length_covering(lengths, 0.999) == 1000
    assert length_covering(lengths, 0.5) == 501
    with pytest.raises(AttnkitError, match="no sequences to measure a maximum length from"):
        length_covering([])
