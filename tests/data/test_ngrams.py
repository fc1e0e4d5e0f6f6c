"""N-gram keys, tables, features and NB log-count ratios on hand-checked examples."""

import numpy as np
import pytest

from attnkit.data.ngrams import NgramTable, log_count_ratios, ngram_keys
from attnkit.errors import AttnkitError


def offsets_of(*texts):
    ids = np.concatenate([np.asarray(text, dtype=np.int64) for text in texts])
    return ids, np.concatenate([[0], np.cumsum([len(text) for text in texts])])


def test_keys_name_each_ngram_once_and_never_cross_texts():
    ids, offsets = offsets_of([2, 3, 4], [5])
    texts, keys = ngram_keys(ids, offsets, order=3, base=10)
    found = set(zip(texts.tolist(), keys.tolist(), strict=True))
    unigrams = {(0, 2 * 4 + 1), (0, 3 * 4 + 1), (0, 4 * 4 + 1), (1, 5 * 4 + 1)}
    bigrams = {(0, 23 * 4 + 2), (0, 34 * 4 + 2)}
    trigrams = {(0, 234 * 4 + 3)}
    assert found == unigrams | bigrams | trigrams  # no (4, 5) pair across the two texts


def test_table_counts_texts_not_occurrences_and_features_are_distinct():
    ids, offsets = offsets_of([2, 2, 2, 3], [3, 4], [2, 9])
    table = NgramTable.build(ids, offsets, order=2, base=10, min_count=2)
    # in 2+ texts: the words 2 and 3; the pair (2, 2) is in one text only, however often
    assert table.keys.tolist() == [2 * 4 + 1, 3 * 4 + 1]
    features = table.features(ids, offsets)
    assert [row.tolist() for row in features] == [[0, 1], [1], [0]]
    assert table.text_features([9, 9, 3, 2, 2]).tolist() == [0, 1]
    assert table.text_features([7, 8]).tolist() == []


def test_log_count_ratios_by_hand():
    features = [np.array([0]), np.array([0, 1]), np.array([1])]
    labels = np.array([1, 1, 0])
    ratios = log_count_ratios(features, labels, num_classes=2, table_size=2)
    p = np.array([1 + 2, 1 + 1]) / 5.0  # smoothed counts in class 1, normalised
    q = np.array([1 + 0, 1 + 1]) / 3.0
    np.testing.assert_allclose(ratios[:, 0], np.log(p) - np.log(q), rtol=1e-6)
    per_class = log_count_ratios(features, np.array([0, 1, 2]), num_classes=3, table_size=2)
    assert per_class.shape == (2, 3)
    # class 2 holds only n-gram 1: it speaks for class 2 and n-gram 0 against it
    assert per_class[1, 2] > 0 > per_class[0, 2]


def test_bad_orders_and_key_overflow_are_clear_errors():
    ids, offsets = offsets_of([2, 3])
    with pytest.raises(AttnkitError, match="order"):
        ngram_keys(ids, offsets, order=4, base=10)
    with pytest.raises(AttnkitError, match="too large"):
        NgramTable(np.zeros(1), order=3, base=2_000_000)
    with pytest.raises(AttnkitError, match="min_count"):
        NgramTable.build(ids, offsets, order=1, base=10, min_count=2)
