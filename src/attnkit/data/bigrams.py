"""Frequent word pairs (bigrams) of the training split, one id per token position.

The bigram id at position t names the pair (word t-1, word t): 0 is padding, 1 is "no
frequent pair" (also the first word of a text), 2.. are the table's pairs, most frequent first.
Pairs are stored as "first second" strings (words never contain the split character " "),
so raw text at predict time gets exactly the ids the training data got.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from attnkit.data.token_corpus import EncodedTexts
from attnkit.errors import AttnkitError

PAD_PAIR, OTHER_PAIR = 0, 1
FIRST_RANKED_ID = 2  # corpus ranks: 0 <pad>, 1 <oov>, then words


class BigramTable:
    """Maps word pairs to ids (see the module docstring)."""

    def __init__(self, pairs: Sequence[str]) -> None:
        self.pairs = list(pairs)
        self.index = {pair: position + 2 for position, pair in enumerate(self.pairs)}
        if len(self.index) != len(self.pairs):
            raise AttnkitError("bigram pairs must be distinct")

    def __len__(self) -> int:
        """Ids in use, padding and "other" included."""
        return len(self.pairs) + 2

    def encode(self, words: Sequence[str]) -> list[int]:
        """One id per word: the pair it ends."""
        if not words:
            return []
        index = self.index
        return [OTHER_PAIR] + [index.get(f"{first} {second}", OTHER_PAIR)
                               for first, second in zip(words, words[1:], strict=False)]

    @classmethod
    def build(cls, train: EncodedTexts, words: Sequence[str], size: int) -> BigramTable:
        """The ``size - 2`` most frequent pairs of known words in ``train`` (ranked ids)."""
        if size < 3:
            raise AttnkitError(f"the bigram table needs at least 3 entries, got {size}")
        keys, valid = _pair_keys(train, len(words) + FIRST_RANKED_ID)
        found, counts = np.unique(keys[valid], return_counts=True)
        top = found[np.argsort(-counts, kind="stable")[: size - 2]]
        base = len(words) + FIRST_RANKED_ID
        first, second = np.divmod(top, base)
        return cls([f"{words[a - FIRST_RANKED_ID]} {words[b - FIRST_RANKED_ID]}"
                    for a, b in zip(first.tolist(), second.tolist(), strict=True)])

    def corpus_ids(self, texts: EncodedTexts, words: Sequence[str]) -> np.ndarray:
        """Bigram ids of every position of ``texts`` (flat, aligned with ``texts.ids``);
        ``words`` is the ranked word list of the corpus ``texts`` comes from."""
        base = len(words) + FIRST_RANKED_ID
        rank = {word: position + FIRST_RANKED_ID for position, word in enumerate(words)}
        table_keys, table_ids = [], []
        for pair, pair_id in self.index.items():
            first, second = pair.split(" ", 1)
            if first in rank and second in rank:
                table_keys.append(rank[first] * base + rank[second])
                table_ids.append(pair_id)
        order = np.argsort(table_keys)
        sorted_keys = np.asarray(table_keys, dtype=np.int64)[order]
        sorted_ids = np.asarray(table_ids, dtype=np.int64)[order]
        keys, valid = _pair_keys(texts, base)
        result = np.full(len(keys), OTHER_PAIR, dtype=np.int64)
        if len(sorted_keys):
            position = np.minimum(np.searchsorted(sorted_keys, keys), len(sorted_keys) - 1)
            hit = valid & (sorted_keys[position] == keys)
            result[hit] = sorted_ids[position[hit]]
        return result


def _pair_keys(texts: EncodedTexts, base: int) -> tuple[np.ndarray, np.ndarray]:
    """(previous id * base + id) per position, and whether both ids are known words."""
    ids = texts.ids.astype(np.int64)
    previous = np.concatenate([[0], ids[:-1]])
    starts = texts.offsets[:-1][np.diff(texts.offsets) > 0]
    previous[starts] = 0  # a text's first word has no predecessor
    valid = (previous >= FIRST_RANKED_ID) & (ids >= FIRST_RANKED_ID)
    return previous * base + ids, valid


def split_like(flat: np.ndarray, texts: EncodedTexts, max_length: int) -> list[np.ndarray]:
    """Cut a flat per-position array like ``texts.sequences`` cuts the ids (last max_length)."""
    starts = np.maximum(texts.offsets[:-1], texts.offsets[1:] - max_length)
    return [flat[start:end] for start, end in zip(starts, texts.offsets[1:], strict=True)]
