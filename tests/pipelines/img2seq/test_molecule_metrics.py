import pytest

from attnkit.pipelines.img2seq.molecule_metrics import molecule_scores, token_accuracy


def test_exact_match_compares_canonical_smiles():
    scores = molecule_scores(["OCC", "c1ccccc1", "C1CC(", "CCN"], ["CCO", "C1=CC=CC=C1", "CCC",
                                                                 "CCO"])
    assert scores["exact_match"] == pytest.approx(0.5)  # OCC = CCO, Kekulé benzene = aromatic
    assert scores["validity"] == pytest.approx(0.75)
    # two perfect, the invalid one 0, and CCN against CCO: of the 9 Morgan bits (radius 2) the
    # two set, they share 3 (CH3, CH2 and the C-C environment of the methyl)
    assert scores["tanimoto"] == pytest.approx((1 + 1 + 0 + 3 / 9) / 4)


def test_token_accuracy_by_hand():
    # tokens: Cl C O vs Cl C N C: 2 of max(3, 4) positions equal
    assert token_accuracy(["ClCO"], ["ClCNC"]) == pytest.approx(2 / 4)
    scores = molecule_scores(["CCO"], ["CCO"])
    assert scores == {"exact_match": 1.0, "validity": 1.0, "tanimoto": 1.0,
                      "token_accuracy": 1.0, "levenshtein": 0.0}
