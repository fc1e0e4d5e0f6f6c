import pytest

from attnkit.data.molecule_vocabulary import choose_vocabulary
from attnkit.errors import AttnkitError


def test_rare_tokens_and_long_targets_are_left_out():
    targets = ["CCO"] * 6 + ["CCN"] * 3 + ["C[Si](C)(C)C", "CCCCCCCCCCCCCCCCCCCC"]
    choice = choose_vocabulary(targets, min_count=3, coverage=0.9)
    assert choice.token_counts == {"C": 42, "O": 6, "N": 3, "(": 2, ")": 2, "[Si]": 1}
    assert choice.vocab.tokens[4:] == ["C", "N", "O"]
    # lengths + end: 4 (x9), 10, 21; 90 % of 11 targets -> the 10th smallest, 10
    assert choice.max_length == 10
    assert choice.keep.tolist() == list(range(9))  # [Si] is unknown, 20 C too long
    summary = choice.summary(len(targets))
    assert summary["distinct_tokens"] == 6 and summary["vocabulary_tokens"] == 3
    assert summary["kept"] == 9 and summary["kept_fraction"] == round(9 / 11, 5)
    assert choice.covered == 10 and summary["covered_fraction"] == round(10 / 11, 5)


def test_everything_is_kept_with_min_count_one_and_full_coverage():
    targets = ["C1=CC=CC=C1", "C[C@@H](N)C(=O)[O-].[Na+]", "BrC/C=C/I"]
    choice = choose_vocabulary(targets, min_count=1, coverage=1.0)
    assert choice.keep.tolist() == [0, 1, 2]
    assert choice.max_length == 14  # C [C@@H] ( N ) C ( = O ) [O-] . [Na+], then the end
    assert {"[C@@H]", "[O-]", "[Na+]", ".", "/", "I"} <= set(choice.vocab.tokens)


@pytest.mark.parametrize("targets, min_count, coverage", [([], 1, 0.9), (["C"], 0, 0.9),
                                                          (["C"], 1, 0.0)])
def test_bad_arguments_are_errors(targets, min_count, coverage):
    with pytest.raises(AttnkitError):
        choose_vocabulary(targets, min_count, coverage)
