"""TokenBatchSampler: every pair once per epoch within the token budget, the same number of
batches every epoch, (seed, epoch) order, equal disjoint shares for replicas, and padded batch
tensors that stay within the budget."""

import numpy as np
import pytest

from attnkit.data.char_vocab import CharVocabulary
from attnkit.data.loaders import token_loader
from attnkit.data.seq_batches import PairCollator, SequencePairs
from attnkit.data.token_batches import TokenBatchSampler
from attnkit.errors import AttnkitError


def caption_lengths(count: int = 3000, seed: int = 0) -> tuple[list[int], list[int]]:
    """Source and target lengths like Multi30k's subword counts: about 15, a tail to 60, the
    target correlated with the source."""
    rng = np.random.default_rng(seed)
    source = np.clip(rng.gamma(6.0, 2.5, count), 2, 60).astype(int)
    target = np.clip(source + rng.integers(-3, 4, count), 1, 60)
    return source.tolist(), target.tolist()


def cost(batch: list[int], source: list[int], target: list[int]) -> int:
    return len(batch) * (max(source[i] for i in batch) + max(target[i] for i in batch))


@pytest.mark.parametrize("shuffle", [True, False])
def test_every_pair_once_and_every_batch_within_the_budget(shuffle):
    source, target = caption_lengths()
    sampler = TokenBatchSampler(source, target, 1000, shuffle=shuffle, seed=3)
    counts = set()
    for epoch in range(3):
        sampler.set_epoch(epoch)
        batches = list(sampler)
        counts.add(len(batches))
        assert sorted(i for batch in batches for i in batch) == list(range(3000))
        assert all(cost(batch, source, target) <= 1000 for batch in batches)
        assert all(isinstance(i, int) for i in batches[0])
    assert counts == {len(sampler)}


def test_batches_are_full_and_short_pairs_travel_in_large_batches():
    source, target = caption_lengths()
    batches = list(TokenBatchSampler(source, target, 1000, shuffle=False))
    # the greedy cut: adding the next pair (in sorted order) would have broken the budget
    flat = [i for batch in batches for i in batch]
    for batch, following in zip(batches, batches[1:], strict=False):
        assert cost(batch + [following[0]], source, target) > 1000
    assert [source[i] for i in flat] == sorted(source)
    assert len(batches[0]) > 3 * len(batches[-1])


def test_a_pair_over_the_budget_is_a_batch_of_its_own():
    # sorted: pairs 3, 0, 2 cost 1 x 4, 2 x 6, 3 x 8 <= 40; pair 1 alone costs 110
    batches = list(TokenBatchSampler([3, 50, 4, 2], [3, 60, 4, 2], 40, shuffle=False))
    assert batches == [[3, 0, 2], [1]]


def test_order_and_pairing_depend_only_on_seed_and_epoch():
    source, target = caption_lengths(2000)
    first = TokenBatchSampler(source, target, 800, seed=7)
    second = TokenBatchSampler(source, target, 800, seed=7)
    first.set_epoch(3)
    list(second)  # iterating another epoch first must not matter
    second.set_epoch(3)
    assert list(first) == list(second)
    second.set_epoch(4)
    epoch_three, epoch_four = list(first), list(second)
    assert epoch_three != epoch_four
    # the shapes stay, the pairs of equal lengths that go together change
    assert sorted(map(len, epoch_three)) == sorted(map(len, epoch_four))
    assert {tuple(sorted(b)) for b in epoch_three} != {tuple(sorted(b)) for b in epoch_four}
    other_seed = TokenBatchSampler(source, target, 800, seed=8)
    other_seed.set_epoch(3)
    assert list(other_seed) != epoch_three


@pytest.mark.parametrize("replicas", [2, 3])
def test_replicas_get_disjoint_equal_shares(replicas):
    source, target = caption_lengths(1000)
    shares = []
    for rank in range(replicas):
        sampler = TokenBatchSampler(source, target, 700, seed=2, num_replicas=replicas,
                                    rank=rank)
        sampler.set_epoch(1)
        shares.append(list(sampler))
        assert len(shares[-1]) == len(sampler)
    assert len({len(share) for share in shares}) == 1
    single = TokenBatchSampler(source, target, 700, seed=2)
    seen = [i for share in shares for batch in share for i in batch]
    assert set(seen) == set(range(1000))
    assert len(seen) - 1000 < replicas * max(map(len, single))  # only the padding repeats


def test_padded_batches_hold_at_most_the_budget_of_positions():
    sources = ["ab", "abcdefgh", "abc", "a", "abcdefghijkl", "abcd"] * 20
    targets = ["xyz", "xy", "xyzxyzxyz", "x", "xyzxyzx", "xyzx"] * 20
    vocab = CharVocabulary.build(sources + targets)
    pairs = SequencePairs(vocab, sources, targets)
    # the target tensors carry one more token than the text (start or end)
    loader = token_loader(pairs, pairs.source_lengths,
                          [length + 1 for length in pairs.target_lengths],
                          PairCollator(vocab.start_id, vocab.end_id, False), 120, seed=0)
    rows = 0
    for batch in loader:
        assert batch["source"].numel() + batch["target_in"].numel() <= 120
        rows += len(batch["source"])
    assert rows == 120 and len(loader) == len(loader.batch_sampler)


def test_bad_arguments_are_clear_errors():
    with pytest.raises(AttnkitError, match="one of each per pair"):
        TokenBatchSampler([1, 2], [1], 10)
    with pytest.raises(AttnkitError, match="max_tokens"):
        TokenBatchSampler([1, 2], [1, 2], 0)
    with pytest.raises(AttnkitError, match="rank"):
        TokenBatchSampler([1, 2], [1, 2], 10, num_replicas=2, rank=2)
