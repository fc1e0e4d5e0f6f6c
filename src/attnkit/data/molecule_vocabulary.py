"""The token vocabulary and length limit of a molecule model, chosen from its training targets.

A token seen fewer than `min_count` times in training cannot be learnt from a few examples
(a rare metal, a `%12` ring bond): it is left out, and so are the molecules that need it. The
length limit covers `coverage` of the training targets' lengths (end token included).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from attnkit.data.smiles_tokenizer import TokenVocabulary, length_covering, tokenize_smiles
from attnkit.errors import AttnkitError


@dataclass(frozen=True)
class VocabularyChoice:
    """vocab: tokens seen >= min_count times; max_length: tokens including the end token;
    keep: indices of the targets the model can train on (every token known, shorter than
    max_length); covered: how many targets have every token known (of any length);
    token_counts: every token of the targets and how often it occurs."""

    vocab: TokenVocabulary
    max_length: int
    keep: np.ndarray
    covered: int
    token_counts: dict[str, int]

    def summary(self, targets: int) -> dict[str, float | int]:
        """Figures for a report: distinct tokens, vocabulary size, share of targets kept."""
        return {"targets": targets, "distinct_tokens": len(self.token_counts),
                "vocabulary_tokens": len(self.vocab) - len(self.vocab.specials),
                "covered_fraction": round(self.covered / max(targets, 1), 5),
                "max_length": self.max_length, "kept": len(self.keep),
                "kept_fraction": round(len(self.keep) / max(targets, 1), 5)}


def choose_vocabulary(targets: Sequence[str], min_count: int = 20,
                      coverage: float = 0.995) -> VocabularyChoice:
    """The vocabulary and length limit for training on the SMILES `targets` (as the model
    writes them, e.g. Kekulé in drawing order)."""
    if not targets:
        raise AttnkitError("no targets to choose a vocabulary from")
    if min_count < 1 or not 0 < coverage <= 1:
        raise AttnkitError(f"min_count must be >= 1 and coverage in (0, 1], got {min_count}, "
                           f"{coverage}")
    tokens = [tokenize_smiles(text) for text in targets]
    counts = Counter(token for row in tokens for token in row)
    vocab = TokenVocabulary(sorted(token for token, n in counts.items() if n >= min_count))
    max_length = length_covering([len(row) + 1 for row in tokens], coverage)
    known = [all(token in vocab.index for token in row) for row in tokens]
    keep = np.array([i for i, row in enumerate(tokens) if known[i] and len(row) < max_length],
                    dtype=np.int64)
    return VocabularyChoice(vocab, max_length, keep, sum(known), dict(counts.most_common()))
