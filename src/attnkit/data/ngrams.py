"""Bags of word n-grams: the features of the classifier's n-gram branch (NBSVM-style).

An n-gram is a run of 1..order word ids of the model's vocabulary (unknown words are <oov>)
inside one text. Its key is one int64: the ids written in base V (the vocabulary size), times 4,
plus n, so n-grams of different orders never collide. A table is the sorted keys of the
n-grams found in at least ``min_count`` training texts; a text's features are the table
positions of the distinct n-grams it contains (presence, not counts: the binarised features of
Wang & Manning 2012). N-grams run over the whole text, not only its last max_length tokens.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from attnkit.errors import AttnkitError

MAX_ORDER = 3
ORDER_SLOTS = 4  # key = ids in base V, times 4, plus n


def _check_key_range(order: int, base: int) -> None:
    if not 1 <= order <= MAX_ORDER:
        raise AttnkitError(f"n-gram order must be 1..{MAX_ORDER}, got {order}")
    if base ** order * ORDER_SLOTS >= 2 ** 63:
        raise AttnkitError(f"a {base}-word vocabulary is too large for {order}-gram keys")


def ngram_keys(ids: np.ndarray, offsets: np.ndarray, order: int,
               base: int) -> tuple[np.ndarray, np.ndarray]:
    """Texts ``ids[offsets[i]:offsets[i + 1]]`` -> (text index, key) of every n-gram position,
    n = 1..order; ids must be < base."""
    _check_key_range(order, base)
    ids = ids.astype(np.int64)
    texts = np.repeat(np.arange(len(offsets) - 1), np.diff(offsets))
    position = np.arange(len(ids)) - offsets[:-1][texts]
    all_texts, all_keys = [texts], [ids * ORDER_SLOTS + 1]
    key = ids.copy()
    for n in range(2, order + 1):
        previous = np.concatenate([np.zeros(n - 1, dtype=np.int64), ids[: len(ids) - n + 1]])
        key = previous * base ** (n - 1) + key  # ids[t-n+1] .. ids[t] in base V
        whole = position >= n - 1  # the n-gram lies inside one text
        all_texts.append(texts[whole])
        all_keys.append(key[whole] * ORDER_SLOTS + n)
    return np.concatenate(all_texts), np.concatenate(all_keys)


def _distinct(texts: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct (text, key) pairs, sorted by text."""
    found, inverse = np.unique(keys, return_inverse=True)
    pairs = np.unique(texts * len(found) + inverse.reshape(-1))
    return pairs // max(len(found), 1), found[pairs % max(len(found), 1)]


class NgramTable:
    """The n-grams a model knows: sorted int64 keys (see the module docstring)."""

    def __init__(self, keys: np.ndarray, order: int, base: int) -> None:
        _check_key_range(order, base)
        self.keys = np.asarray(keys, dtype=np.int64)
        self.order, self.base = order, base

    def __len__(self) -> int:
        return len(self.keys)

    @classmethod
    def build(cls, ids: np.ndarray, offsets: np.ndarray, order: int, base: int,
              min_count: int) -> NgramTable:
        """The n-grams of the training texts found in at least ``min_count`` of them."""
        return cls.build_with_features(ids, offsets, order, base, min_count)[0]

    @classmethod
    def build_with_features(cls, ids: np.ndarray, offsets: np.ndarray, order: int, base: int,
                            min_count: int) -> tuple[NgramTable, list[np.ndarray]]:
        """``build``, and the training texts' ``features`` from the same pass over them."""
        texts, keys = _distinct(*ngram_keys(ids, offsets, order, base))
        found, counts = np.unique(keys, return_counts=True)
        table = cls(found[counts >= min_count], order, base)
        if not len(table):
            raise AttnkitError(f"no n-gram occurs in {min_count} training texts; lower "
                               "ngrams.min_count")
        return table, table._lookup(texts, keys, len(offsets) - 1)

    def features(self, ids: np.ndarray, offsets: np.ndarray) -> list[np.ndarray]:
        """Per text, the sorted table positions of its distinct known n-grams (int64)."""
        texts, keys = _distinct(*ngram_keys(ids, offsets, self.order, self.base))
        return self._lookup(texts, keys, len(offsets) - 1)

    def _lookup(self, texts: np.ndarray, keys: np.ndarray, count: int) -> list[np.ndarray]:
        """Distinct (text, key) pairs sorted by text -> per text, the positions of its keys
        in the table (unknown keys dropped)."""
        position = np.minimum(np.searchsorted(self.keys, keys), len(self.keys) - 1)
        known = self.keys[position] == keys
        texts, position = texts[known], position[known]
        bounds = np.searchsorted(texts, np.arange(count + 1))
        return [position[bounds[i]:bounds[i + 1]] for i in range(count)]

    def text_features(self, ids: Sequence[int] | np.ndarray) -> np.ndarray:
        """The features of one text's ids."""
        ids = np.asarray(ids, dtype=np.int64)
        return self.features(ids, np.array([0, len(ids)]))[0]


def log_count_ratios(features: Sequence[np.ndarray], labels: np.ndarray, num_classes: int,
                     table_size: int, smoothing: float = 1.0) -> np.ndarray:
    """NB log-count ratios (table_size, C'), C' = 1 for two classes (class 1 against 0), else
    one column per class (the class against the rest): log(p / |p|_1) - log(q / |q|_1), with
    p and q the smoothed counts of texts holding each n-gram inside and outside the class."""
    lengths = np.array([len(row) for row in features])
    positions = np.concatenate(features) if len(features) else np.zeros(0, dtype=np.int64)
    text_labels = np.repeat(np.asarray(labels), lengths)
    columns = [1] if num_classes == 2 else range(num_classes)
    ratios = np.empty((table_size, len(columns)))
    for column, label in enumerate(columns):
        inside = text_labels == label
        p = smoothing + np.bincount(positions[inside], minlength=table_size)
        q = smoothing + np.bincount(positions[~inside], minlength=table_size)
        ratios[:, column] = np.log(p / p.sum()) - np.log(q / q.sum())
    return ratios.astype(np.float32)
