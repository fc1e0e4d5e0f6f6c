import torch

from attnkit.data.loaders import bucketed_loader, sorted_loader

LENGTHS = [5, 1, 3, 3, 8, 2, 7, 4, 6, 1]


def lengths_of(batch: list[int]) -> torch.Tensor:
    return torch.tensor([LENGTHS[i] for i in batch])


def test_sorted_loader_gives_length_sorted_batches_ties_in_order():
    batches = [batch.tolist() for batch in sorted_loader(list(range(10)), LENGTHS, torch.tensor, 4)]
    assert batches == [[1, 9, 5, 2], [3, 7, 0, 8], [6, 4]]


def test_bucketed_loader_covers_the_data_and_follows_the_epoch():
    loader = bucketed_loader(list(range(10)), LENGTHS, torch.tensor, 3, seed=1)
    first = [batch.tolist() for batch in loader]
    assert sorted(i for batch in first for i in batch) == list(range(10))
    loader.batch_sampler.set_epoch(1)
    assert [batch.tolist() for batch in loader] != first


def test_each_rank_gets_its_share():
    shares = [[batch.tolist() for batch in bucketed_loader(list(range(10)), LENGTHS,
                                                           torch.tensor, 2, seed=0, rank=rank,
                                                           world_size=2)]
              for rank in (0, 1)]
    assert len(shares[0]) == len(shares[1])
    # the batch list is padded by repeating batches, so that both ranks take as many steps
    assert {i for share in shares for batch in share for i in batch} == set(range(10))
