"""A word vocabulary ordered by training-split frequency, as Keras' ``Tokenizer`` builds it.

Ids: ``<pad>`` = 0, ``<oov>`` = 1, then words from most to least frequent. Ties keep the
order in which words were first seen (Keras sorts its insertion-ordered counts stably).
A vocabulary of ``max_size`` entries keeps the ``max_size - 2`` most frequent words and maps
every other word to ``<oov>``, like ``Tokenizer(num_words=max_size, oov_token=...)``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from attnkit.errors import AttnkitError

PAD, OOV = "<pad>", "<oov>"
SPECIALS = (PAD, OOV)
PAD_ID, OOV_ID = 0, 1


class WordVocabulary:
    """Maps words to ids; words not in it map to ``OOV_ID``."""

    def __init__(self, words: Sequence[str]) -> None:
        tokens = list(SPECIALS) + list(words)
        index = {token: position for position, token in enumerate(tokens)}
        if len(index) != len(tokens):
            raise AttnkitError("vocabulary words must be distinct and not special tokens")
        self.tokens = tokens
        self.index = index

    @classmethod
    def from_counts(cls, counts: Counter[str], max_size: int) -> WordVocabulary:
        """The ``max_size - 2`` most frequent words of ``counts`` (insertion order breaks ties)."""
        if max_size < len(SPECIALS) + 1:
            raise AttnkitError(f"vocabulary size must be at least 3, got {max_size}")
        ranked = sorted(counts.items(), key=lambda item: item[1], reverse=True)
        return cls([word for word, _ in ranked[: max_size - len(SPECIALS)]])

    @classmethod
    def build(cls, tokenized_texts: Iterable[Sequence[str]], max_size: int) -> WordVocabulary:
        """Count words over ``tokenized_texts`` (in order) and keep the most frequent."""
        counts: Counter[str] = Counter()
        for tokens in tokenized_texts:
            counts.update(tokens)
        return cls.from_counts(counts, max_size)

    @classmethod
    def from_list(cls, tokens: Sequence[str]) -> WordVocabulary:
        """Rebuild from ``to_list()`` (as stored in checkpoint meta)."""
        if tuple(tokens[: len(SPECIALS)]) != SPECIALS:
            raise AttnkitError(
                f"stored vocabulary must start with {SPECIALS}, got {list(tokens[:2])}"
            )
        return cls(tokens[len(SPECIALS):])

    def to_list(self) -> list[str]:
        return list(self.tokens)

    def __len__(self) -> int:
        return len(self.tokens)

    def encode(self, words: Iterable[str]) -> list[int]:
        """Ids of ``words``; unknown words become ``OOV_ID``."""
        index = self.index
        return [index.get(word, OOV_ID) for word in words]

    def decode(self, ids: Iterable[int]) -> list[str]:
        """Words of ``ids`` (``<oov>`` for out-of-vocabulary positions, padding dropped)."""
        return [self.tokens[int(token_id)] for token_id in ids if int(token_id) != PAD_ID]
