"""The two kinds of DataLoader every pipeline uses: shuffled training batches of similar length,
and evaluation batches sorted by length in a fixed order (little padding, same metrics every
time). Each batch is padded to its own longest item by the pipeline's `collate`.

The caller passes its `rank` and the `world_size` (`attnkit.engine.distributed`), so that under
torchrun each process gets its share of the batches and `data` never imports the engine.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from torch.utils.data import DataLoader, Dataset

from attnkit.data.bucketing import BucketBatchSampler
from attnkit.data.token_batches import TokenBatchSampler


def bucketed_loader(dataset: Dataset, lengths: Sequence[int], collate: Callable[[list], Any],
                    batch_size: int, seed: int, bucket_size_multiplier: int = 100,
                    rank: int = 0, world_size: int = 1) -> DataLoader:
    """Shuffled batches of items of similar `lengths` (one per item); the order depends on
    the seed and the epoch only (`BucketBatchSampler.set_epoch`)."""
    sampler = BucketBatchSampler(lengths, batch_size, shuffle=True, seed=seed,
                                 bucket_size_multiplier=bucket_size_multiplier,
                                 num_replicas=world_size, rank=rank)
    return DataLoader(dataset, batch_sampler=sampler, collate_fn=collate)


def token_loader(dataset: Dataset, source_lengths: Sequence[int], target_lengths: Sequence[int],
                 collate: Callable[[list], Any], max_tokens: int, seed: int, rank: int = 0,
                 world_size: int = 1) -> DataLoader:
    """Shuffled batches of sequence pairs, each of at most `max_tokens` padded source + target
    positions (`TokenBatchSampler`: lengths as the batch tensors have them), as many every
    epoch; the order depends on the seed and the epoch only."""
    sampler = TokenBatchSampler(source_lengths, target_lengths, max_tokens, shuffle=True,
                                seed=seed, num_replicas=world_size, rank=rank)
    return DataLoader(dataset, batch_sampler=sampler, collate_fn=collate)


def sorted_loader(dataset: Dataset, lengths: Sequence[int], collate: Callable[[list], Any],
                  batch_size: int) -> DataLoader:
    """Batches of items sorted by `lengths` (ties in dataset order), always the same."""
    order = sorted(range(len(lengths)), key=lengths.__getitem__)
    batches = [order[start:start + batch_size] for start in range(0, len(order), batch_size)]
    return DataLoader(dataset, batch_sampler=batches, collate_fn=collate)

