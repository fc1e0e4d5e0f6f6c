"""Batches by token count for sequence pairs: each batch holds as many pairs as fit in a budget
of padded source + target positions, so short sentences travel in large batches and long ones
in small batches, and every step costs about the same.

The batches' shapes are fixed for the data: the pairs are sorted by (source length, target
length) and cut greedily where the next pair would break the budget. Each epoch draws which
pairs of equal lengths go together (the cut points cannot move: they depend on the lengths
alone) and the order of the batches, from (seed, epoch) only. So every epoch has the same
number of batches, which the trainer's progress and `--resume` rely on, and a resumed run sees
the batches an uninterrupted one would.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
from torch.utils.data import Sampler

from attnkit.data.bucketing import rank_share
from attnkit.errors import AttnkitError


class TokenBatchSampler(Sampler[list[int]]):
    """Yields lists of dataset indices; pass it as a DataLoader's `batch_sampler`.

    source_lengths, target_lengths: one per pair, as the batch tensors will have them (e.g.
    the target with its start or end token). A batch of rows r with longest source S and
    longest target T has r x (S + T) <= max_tokens; a pair longer than that alone is a batch
    of its own. With `shuffle` (training) the batch order and the pairing of equal lengths
    depend on (seed, epoch) (`set_epoch`); without it (evaluation) the batches come shortest
    first, always the same. With `num_replicas > 1` each `rank` gets its share of the same
    batches (`bucketing.rank_share`: the list padded by repeating batches so that every rank
    takes as many steps, the ranks' batches at one step of similar lengths).
    """

    def __init__(self, source_lengths: Sequence[int], target_lengths: Sequence[int],
                 max_tokens: int, *, shuffle: bool = True, seed: int = 0,
                 num_replicas: int = 1, rank: int = 0) -> None:
        self.source_lengths = np.asarray(source_lengths, dtype=np.int64)
        self.target_lengths = np.asarray(target_lengths, dtype=np.int64)
        if self.source_lengths.ndim != 1 or len(self.source_lengths) == 0 or \
                self.source_lengths.shape != self.target_lengths.shape:
            raise AttnkitError("source_lengths and target_lengths must be non-empty sequences "
                               "of integers, one of each per pair")
        if min(self.source_lengths.min(), self.target_lengths.min()) < 0:
            raise AttnkitError("sequence lengths must be >= 0")
        for name, value in (("max_tokens", max_tokens), ("num_replicas", num_replicas)):
            if not isinstance(value, int) or value < 1:
                raise AttnkitError(f"{name} must be a positive integer, got {value!r}")
        if not 0 <= rank < num_replicas:
            raise AttnkitError(f"rank must be in [0, {num_replicas}), got {rank}")
        self.max_tokens, self.shuffle, self.seed = max_tokens, shuffle, seed
        self.num_replicas, self.rank = num_replicas, rank
        self.epoch = 0
        order = self._order(None)
        self.spans = budget_spans(self.source_lengths[order], self.target_lengths[order],
                                  max_tokens)

    def set_epoch(self, epoch: int) -> None:
        """Make the next iteration's order the one of `epoch` (the trainer calls this)."""
        self.epoch = epoch

    def __len__(self) -> int:
        """Batches this rank yields per epoch (the same every epoch)."""
        return -(-len(self.spans) // self.num_replicas)

    def __iter__(self) -> Iterator[list[int]]:
        rng = np.random.default_rng([self.seed, self.epoch]) if self.shuffle else None
        order = self._order(rng)
        batches = [order[start:end] for start, end in self.spans]
        for batch in rank_share(batches, self.num_replicas, self.rank, rng):
            yield batch.tolist()

    def _order(self, rng: np.random.Generator | None) -> np.ndarray:
        """Indices sorted by source length, then target length, then at random (`rng`) or by
        index (None)."""
        count = len(self.source_lengths)
        tie_break = rng.permutation(count) if rng is not None else np.arange(count)
        return np.lexsort((tie_break, self.target_lengths, self.source_lengths))


def budget_spans(source_lengths: np.ndarray, target_lengths: np.ndarray,
                 max_tokens: int) -> list[tuple[int, int]]:
    """(start, end) of the batches of pairs in this order: each run as long as its rows x
    (longest source + longest target) stays within `max_tokens`, or one pair on its own."""
    spans, start, longest_source, longest_target = [], 0, 0, 0
    for index, (source, target) in enumerate(zip(source_lengths.tolist(),
                                                 target_lengths.tolist(), strict=True)):
        grown_source, grown_target = max(longest_source, source), max(longest_target, target)
        if index > start and (index - start + 1) * (grown_source + grown_target) > max_tokens:
            spans.append((start, index))
            start, grown_source, grown_target = index, source, target
        longest_source, longest_target = grown_source, grown_target
    spans.append((start, len(source_lengths)))
    return spans
