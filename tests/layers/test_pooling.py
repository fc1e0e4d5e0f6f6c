"""AttentionPooling: a learned or given query, masks, gradients, and that it can learn."""

import pytest
import torch

from attnkit.layers import AttentionPooling, lengths_to_mask

B, S, K, UNITS = 3, 6, 8, 8
LENGTHS = torch.tensor([6, 2, 4])


def batch() -> tuple[torch.Tensor, torch.Tensor]:
    keys = torch.randn(B, S, K, generator=torch.Generator().manual_seed(0))
    return keys, lengths_to_mask(LENGTHS, S)


@pytest.mark.parametrize("kind", ["additive", "dot", "general", "scaled_dot", "multihead"])
def test_learned_query_pools_unmasked_keys(kind):
    torch.manual_seed(0)
    pooling = AttentionPooling(K, UNITS, kind=kind)
    keys, mask = batch()
    context, weights = pooling(keys, mask)
    assert context.shape == (B, K) and weights.shape == (B, S)
    assert torch.all(weights[~mask] == 0.0)
    torch.testing.assert_close(weights.sum(-1), torch.ones(B))
    if kind != "multihead":  # multi-head projects the values
        torch.testing.assert_close(context, (weights.unsqueeze(-1) * keys).sum(1))
    garbage = torch.cat([keys, torch.randn(B, 3, K)], dim=1)
    padded_mask = torch.cat([mask, torch.zeros(B, 3, dtype=torch.bool)], dim=1)
    padded_context, padded_weights = pooling(garbage, padded_mask)
    torch.testing.assert_close(padded_context, context, atol=1e-6, rtol=0)
    torch.testing.assert_close(padded_weights[:, :S], weights, atol=1e-6, rtol=0)


@pytest.mark.parametrize("kind", ["additive", "multihead"])
def test_gradients_reach_every_parameter(kind):
    torch.manual_seed(0)
    pooling = AttentionPooling(K, UNITS, kind=kind)
    keys, mask = batch()
    context, weights = pooling(keys, mask)
    ((context * torch.randn(B, K)).sum() + (weights * torch.randn(B, S)).sum()).backward()
    names = [name for name, _ in pooling.named_parameters()]
    assert "query" in names
    for name, parameter in pooling.named_parameters():
        assert parameter.grad is not None and parameter.grad.abs().sum() > 0, name


def test_given_query_is_used_and_required():
    torch.manual_seed(0)
    pooling = AttentionPooling(K, UNITS, query_size=5)
    assert pooling.query is None
    keys, mask = batch()
    first, _ = pooling(keys, mask, torch.zeros(B, 5))
    second, _ = pooling(keys, mask, torch.ones(B, 5))
    assert first.shape == (B, K) and not torch.allclose(first, second)
    with pytest.raises(ValueError, match="pass a query"):
        pooling(keys, mask)
    with pytest.raises(ValueError, match="do not pass one"):
        AttentionPooling(K, UNITS)(keys, mask, torch.zeros(B, K))


def test_learned_query_learns_to_find_the_marked_position():
    torch.manual_seed(0)
    pooling = AttentionPooling(4, 8)
    optimizer = torch.optim.Adam(pooling.parameters(), lr=0.05)
    generator = torch.Generator().manual_seed(1)
    lengths = torch.randint(2, 10, (64,), generator=generator)
    mask = lengths_to_mask(lengths, 10)
    keys = torch.randn(64, 10, 4, generator=generator)
    marked = (torch.rand(64, generator=generator) * lengths).long()
    keys[torch.arange(64), marked, 0] = 3.0  # the marked position has a large first feature
    for _ in range(30):
        _, weights = pooling(keys, mask)
        loss = -weights[torch.arange(64), marked].clamp_min(1e-9).log().mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    _, weights = pooling(keys, mask)
    assert weights[torch.arange(64), marked].mean() > 0.95
