import pytest

from attnkit.engine.sequence_metrics import (
    character_accuracy,
    exact_match,
    levenshtein,
    mean_levenshtein,
    text_scores,
)
from attnkit.errors import AttnkitError


def test_exact_match():
    assert exact_match(["1994-09-27", "2000-01-01"], ["1994-09-27", "2000-01-02"]) == 0.5


def test_character_accuracy_counts_missing_and_extra_characters():
    assert character_accuracy(["abcd"], ["abXd"]) == pytest.approx(3 / 4)
    assert character_accuracy(["ab"], ["abcd"]) == pytest.approx(2 / 4)
    assert character_accuracy(["abcdef", "x"], ["abcd", "x"]) == pytest.approx(5 / 7)


def test_mismatched_lengths():
    with pytest.raises(AttnkitError, match="1 predictions for 2 references"):
        exact_match(["a"], ["a", "b"])
    with pytest.raises(AttnkitError, match="no references to score against"):
        character_accuracy([], [])


def test_levenshtein_by_hand():
    assert levenshtein("kitten", "sitting") == 3
    assert levenshtein("", "CCO") == 3
    assert mean_levenshtein(["kitten", "CCO"], ["sitting", "CCO"]) == pytest.approx(1.5)
    assert text_scores(["abc"], ["abd"]) == {"exact_match": 0.0,
                                             "char_accuracy": pytest.approx(2 / 3),
                                             "levenshtein": 1.0}
