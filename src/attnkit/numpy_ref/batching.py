"""Seq2seq batches as NumPy arrays, for running the NumPy engine without torch's data loaders.

A batch is {"source" (B, S), "source_lengths" (B,), "target_in" (B, T), "target_out" (B, T)},
right-padded with 0, the same dict `attnkit.data.seq_batches.PairCollator` builds; with
`reverse_source` each source is reversed within its own length, padding staying on the right.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

Batch = dict[str, np.ndarray]


def pad_pairs(sources: Sequence[Sequence[int]], targets: Sequence[Sequence[int]],
              start_id: int, end_id: int, reverse_source: bool = True) -> Batch:
    """Encoded pairs -> one padded dict of arrays holding every pair (N rows)."""
    N = len(sources)
    S = max(len(row) for row in sources)
    T = max(len(row) for row in targets) + 1
    arrays = {"source": np.zeros((N, S), dtype=np.int64),
              "source_lengths": np.array([len(row) for row in sources], dtype=np.int64),
              "target_in": np.zeros((N, T), dtype=np.int64),
              "target_out": np.zeros((N, T), dtype=np.int64)}
    for n, (source, target) in enumerate(zip(sources, targets, strict=True)):
        arrays["source"][n, : len(source)] = source[::-1] if reverse_source else source
        arrays["target_in"][n, : len(target) + 1] = [start_id, *target]
        arrays["target_out"][n, : len(target) + 1] = [*target, end_id]
    return arrays


def bucketed_order(lengths: np.ndarray, batch_size: int, seed: int, epoch: int,
                   pool_batches: int = 50) -> list[np.ndarray]:
    """Row indices of each batch: shuffled, sorted by length within pools of `pool_batches`
    batches (so a batch pads little), and the batches shuffled. Depends only on (seed, epoch)."""
    rng = np.random.default_rng([seed, epoch])
    order = rng.permutation(len(lengths))
    batches = []
    pool = batch_size * pool_batches
    for start in range(0, len(order), pool):
        chunk = order[start : start + pool]
        chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
        batches += [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
    return [batches[i] for i in rng.permutation(len(batches))]


def batches_of(arrays: Batch, index_batches: Sequence[np.ndarray]) -> Iterator[Batch]:
    """Each batch of rows, trimmed to its own longest source and target so that no step is
    spent on all-padding columns."""
    for index in index_batches:
        batch = {name: array[index] for name, array in arrays.items()}
        source_length = int(batch["source_lengths"].max())
        target_length = int((batch["target_out"] != 0).sum(axis=1).max())
        batch["source"] = batch["source"][:, :source_length]
        batch["target_in"] = batch["target_in"][:, :target_length]
        batch["target_out"] = batch["target_out"][:, :target_length]
        yield batch


def sequential_batches(arrays: Batch, batch_size: int) -> Iterator[Batch]:
    """Batches in row order (for evaluation)."""
    count = len(arrays["source"])
    index_batches = [np.arange(i, min(i + batch_size, count)) for i in range(0, count, batch_size)]
    return batches_of(arrays, index_batches)
