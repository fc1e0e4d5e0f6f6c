"""BucketBatchSampler: complete epochs, little padding, (seed, epoch) order, disjoint replicas;
token_budget_batches: every index once, within both limits."""

import numpy as np
import pytest
from torch.utils.data import DataLoader

from attnkit.data.bucketing import BucketBatchSampler, token_budget_batches
from attnkit.errors import AttnkitError


def skewed_lengths(count: int = 5000, seed: int = 0) -> list[int]:
    """Log-normal lengths like review lengths: most short, a long tail, capped at 500."""
    rng = np.random.default_rng(seed)
    return np.clip(rng.lognormal(5.0, 0.7, count), 1, 500).astype(int).tolist()


def padding_waste(batches: list[list[int]], lengths: list[int]) -> float:
    """Fraction of the padded (batch x longest) cells that are padding."""
    padded = sum(len(batch) * max(lengths[i] for i in batch) for batch in batches)
    real = sum(lengths[i] for batch in batches for i in batch)
    return 1 - real / padded


@pytest.mark.parametrize("shuffle", [True, False])
def test_every_index_exactly_once_per_epoch(shuffle):
    lengths = skewed_lengths(1003)
    sampler = BucketBatchSampler(lengths, 32, shuffle=shuffle, bucket_size_multiplier=5)
    for epoch in range(3):
        sampler.set_epoch(epoch)
        batches = list(sampler)
        assert sorted(i for batch in batches for i in batch) == list(range(1003))
        assert [len(batch) for batch in batches].count(32) == 1003 // 32
        assert all(isinstance(i, int) for i in batches[0])


def test_padding_waste_far_below_random_batches():
    lengths = skewed_lengths()
    bucketed = list(BucketBatchSampler(lengths, 64, seed=1))
    order = np.random.default_rng(1).permutation(len(lengths)).tolist()
    random_batches = [order[start:start + 64] for start in range(0, len(order), 64)]
    bucketed_waste = padding_waste(bucketed, lengths)
    random_waste = padding_waste(random_batches, lengths)
    assert random_waste > 0.5
    assert bucketed_waste < 0.05 < random_waste / 10


def test_order_depends_only_on_seed_and_epoch():
    lengths = skewed_lengths(2000)
    first = BucketBatchSampler(lengths, 16, seed=7, bucket_size_multiplier=10)
    second = BucketBatchSampler(lengths, 16, seed=7, bucket_size_multiplier=10)
    first.set_epoch(3)
    list(second)  # iterating other epochs first must not matter
    second.set_epoch(3)
    assert list(first) == list(second)
    assert list(first) == list(first)
    second.set_epoch(4)
    assert list(first) != list(second)
    other_seed = BucketBatchSampler(lengths, 16, seed=8, bucket_size_multiplier=10)
    other_seed.set_epoch(3)
    assert list(first) != list(other_seed)


def test_without_shuffle_batches_are_sorted_by_length_and_fixed():
    lengths = skewed_lengths(300)
    sampler = BucketBatchSampler(lengths, 50, shuffle=False)
    batches = list(sampler)
    flat = [i for batch in batches for i in batch]
    assert [lengths[i] for i in flat] == sorted(lengths, reverse=True)
    sampler.set_epoch(5)
    assert list(sampler) == batches


@pytest.mark.parametrize(("count", "replicas"), [(1024, 4), (1000, 3), (70, 4)])
def test_replicas_get_disjoint_equal_shares(count, replicas):
    lengths = skewed_lengths(count)
    shares = []
    for rank in range(replicas):
        sampler = BucketBatchSampler(lengths, 16, seed=2, num_replicas=replicas, rank=rank)
        sampler.set_epoch(1)
        shares.append(list(sampler))
        assert len(shares[-1]) == len(sampler)
    assert len({len(share) for share in shares}) == 1
    seen = [i for share in shares for batch in share for i in batch]
    assert set(seen) == set(range(count))
    batch_count = -(-count // 16)
    if batch_count % replicas == 0:  # nothing repeated: the shares are disjoint
        assert len(seen) == count
    else:  # only whole repeated batches overlap
        repeats = replicas - batch_count % replicas
        assert len(seen) - count <= repeats * 16


@pytest.mark.parametrize(("drop_last", "replicas"), [(False, 1), (True, 1), (False, 3), (True, 2)])
def test_len_matches_iteration(drop_last, replicas):
    lengths = skewed_lengths(1001)
    for rank in range(replicas):
        sampler = BucketBatchSampler(lengths, 20, drop_last=drop_last,
                                     num_replicas=replicas, rank=rank)
        batches = list(sampler)
        assert len(batches) == len(sampler)
        assert all(len(batch) == 20 for batch in batches) or not drop_last
    loader = DataLoader(list(range(1001)), batch_sampler=BucketBatchSampler(lengths, 20))
    assert len(loader) == len(list(loader)) == 51


def test_bad_arguments_raise_clear_errors():
    with pytest.raises(AttnkitError, match="batch_size"):
        BucketBatchSampler([3, 4], 0)
    with pytest.raises(AttnkitError, match="rank"):
        BucketBatchSampler([3, 4], 1, num_replicas=2, rank=2)
    with pytest.raises(AttnkitError, match="lengths"):
        BucketBatchSampler([], 1)


def test_token_budget_batches_cover_every_index_within_both_limits():
    rng = np.random.default_rng(0)
    lengths = rng.integers(1, 500, size=300).tolist() + [900]  # 900: longer than the budget
    batches = token_budget_batches(lengths, rows=32, tokens=6_144)
    flat = np.concatenate(batches)
    assert sorted(flat.tolist()) == list(range(len(lengths)))
    assert [lengths[i] for i in flat] == sorted(lengths)  # shortest first, in one pass
    for batch in batches:
        longest = max(lengths[i] for i in batch)
        assert len(batch) <= 32
        assert len(batch) * longest <= 6_144 or len(batch) == 1
    # each batch as full as allowed: one more sequence would break a limit
    for batch, following in zip(batches, batches[1:], strict=False):
        grown = len(batch) + 1
        assert grown > 32 or grown * lengths[following[0]] > 6_144
    assert [len(b) for b in token_budget_batches([5] * 70, rows=32, tokens=10**6)] == [32, 32, 6]
    assert token_budget_batches([], rows=4, tokens=10) == []


def test_a_sequence_longer_than_the_token_budget_is_a_batch_of_its_own():
    """The guard `end - start > 1`: without it the long sequence's batch is empty (and the
    previous one dropped it), which crashed `predict --batch-size 1` on a 300-word review."""
    lengths = [5, 7_000, 6, 6_500, 4]  # 7,000 and 6,500 tokens: each longer than 6,144
    batches = token_budget_batches(lengths, rows=32, tokens=6_144)
    assert [sorted(batch.tolist()) for batch in batches] == [[0, 2, 4], [3], [1]]
    assert [b.tolist() for b in token_budget_batches([300], rows=1, tokens=192)] == [[0]]
    assert [b.tolist() for b in token_budget_batches([300, 300, 10], rows=1, tokens=192)] == \
        [[2], [0], [1]]
