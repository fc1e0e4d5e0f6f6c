"""Properties every attention kind must have, checked through the factory."""

import pytest
import torch

from attnkit.errors import AttnkitError
from attnkit.layers import (
    ATTENTION_KINDS,
    AdditiveAttention,
    ConcatAttention,
    DotAttention,
    GeneralAttention,
    MultiHeadAttention,
    ScaledDotAttention,
    build_attention,
    lengths_to_mask,
)

B, T, S, K, UNITS, HEADS = 3, 4, 6, 8, 12, 3
LENGTHS = torch.tensor([6, 3, 1])
KINDS = [kind for kind in ATTENTION_KINDS if kind != "bahdanau"]
# dot and scaled_dot need query_size == key_size; the others are also tried with another size.
SIZED_KINDS = [(kind, K) for kind in KINDS] + [
    (kind, 5) for kind in ("additive", "general", "concat", "multihead")
]


def make(kind: str, query_size: int = K) -> torch.nn.Module:
    torch.manual_seed(0)
    return build_attention(kind, query_size, K, UNITS, num_heads=HEADS)


def inputs(query_size: int, queries: int | None = T) -> tuple[torch.Tensor, ...]:
    generator = torch.Generator().manual_seed(1)
    shape = (B, query_size) if queries is None else (B, queries, query_size)
    query = torch.randn(shape, generator=generator)
    keys = torch.randn(B, S, K, generator=generator)
    return query, keys, lengths_to_mask(LENGTHS, S)


@pytest.mark.parametrize(("kind", "query_size"), SIZED_KINDS)
@pytest.mark.parametrize("queries", [None, T])
def test_weights_are_probabilities_over_unmasked_keys(kind, query_size, queries):
    query, keys, mask = inputs(query_size, queries)
    context, weights = make(kind, query_size)(query, keys, mask=mask)
    query_shape = (B,) if queries is None else (B, queries)
    assert context.shape == (*query_shape, K)
    assert weights.shape == (*query_shape, S)
    row_mask = mask if queries is None else mask.unsqueeze(1).expand_as(weights)
    assert torch.all(weights[~row_mask] == 0.0)
    assert torch.all(weights[row_mask] > 0.0)
    torch.testing.assert_close(weights.sum(-1), torch.ones(query_shape))


@pytest.mark.parametrize(("kind", "query_size"), SIZED_KINDS)
def test_appended_padding_with_garbage_changes_nothing(kind, query_size):
    attention = make(kind, query_size)
    query, keys, mask = inputs(query_size)
    context, weights = attention(query, keys, mask=mask)
    garbage = 100.0 * torch.randn(B, 5, K, generator=torch.Generator().manual_seed(2))
    padded_keys = torch.cat([keys, garbage], dim=1)
    padded_mask = torch.cat([mask, torch.zeros(B, 5, dtype=torch.bool)], dim=1)
    padded_context, padded_weights = attention(query, padded_keys, mask=padded_mask)
    torch.testing.assert_close(padded_context, context, atol=1e-6, rtol=0)
    torch.testing.assert_close(padded_weights[..., :S], weights, atol=1e-6, rtol=0)
    assert torch.all(padded_weights[..., S:] == 0.0)


@pytest.mark.parametrize(("kind", "query_size"), SIZED_KINDS)
def test_each_query_step_equals_the_two_dimensional_call(kind, query_size):
    attention = make(kind, query_size)
    query, keys, mask = inputs(query_size)
    context, weights = attention(query, keys, mask=mask)
    for t in range(T):
        step_context, step_weights = attention(query[:, t], keys, mask=mask)
        torch.testing.assert_close(step_context, context[:, t])
        torch.testing.assert_close(step_weights, weights[:, t])
    single_context, single_weights = attention(query[:, :1], keys, mask=mask)
    step_context, step_weights = attention(query[:, 0], keys, mask=mask)
    assert single_context.shape == (B, 1, K) and step_context.shape == (B, K)
    torch.testing.assert_close(single_context.squeeze(1), step_context)
    torch.testing.assert_close(single_weights.squeeze(1), step_weights)


@pytest.mark.parametrize(("kind", "query_size"), SIZED_KINDS)
def test_gradients_reach_every_parameter_and_input(kind, query_size):
    attention = make(kind, query_size)
    query, keys, mask = inputs(query_size)
    query.requires_grad_(True)
    keys.requires_grad_(True)
    context, weights = attention(query, keys, mask=mask)
    generator = torch.Generator().manual_seed(3)
    # Random projections: a plain sum of the weights is constant and has no gradient.
    loss = (context * torch.randn(context.shape, generator=generator)).sum() + (
        weights * torch.randn(weights.shape, generator=generator)
    ).sum()
    loss.backward()
    for name, parameter in [*attention.named_parameters(), ("query", query), ("keys", keys)]:
        assert parameter.grad is not None, name
        assert parameter.grad.abs().sum() > 0, name
        assert torch.isfinite(parameter.grad).all(), name
    # Keys behind the mask cannot influence anything.
    assert torch.all(keys.grad[~mask] == 0.0)


@pytest.mark.filterwarnings("ignore:Anomaly Detection has been enabled")
@pytest.mark.parametrize("kind", KINDS)
def test_fully_masked_row_gives_zero_weights_and_context_without_nan(kind):
    attention = make(kind)
    query, keys, mask = inputs(K)
    mask[1] = False
    keys.requires_grad_(True)
    context, weights = attention(query, keys, mask=mask)
    assert torch.all(weights[1] == 0.0) and torch.all(context[1] == 0.0)
    torch.testing.assert_close(weights[0].sum(-1), torch.ones(T))
    # Anomaly mode fails on any NaN inside the backward pass, even one masked out later.
    with torch.autograd.detect_anomaly():
        (context.sum() + (weights * torch.arange(S)).sum()).backward()
    assert torch.isfinite(keys.grad).all()


@pytest.mark.parametrize("kind", ["additive", "dot", "general", "concat", "scaled_dot"])
def test_context_is_the_weighted_sum_of_separate_values(kind):
    query, keys, mask = inputs(K)
    values = torch.randn(B, S, 5)
    context, weights = make(kind)(query, keys, values, mask)
    assert context.shape == (B, T, 5)
    torch.testing.assert_close(context, weights @ values)


def test_multihead_values_of_another_size_and_per_head_weights():
    query, keys, mask = inputs(K)
    values = torch.randn(B, S, 5)
    torch.manual_seed(0)
    averaged = MultiHeadAttention(K, K, HEADS, UNITS, value_size=5)
    torch.manual_seed(0)
    per_head = MultiHeadAttention(K, K, HEADS, UNITS, value_size=5, average_heads=False)
    context, weights = averaged(query, keys, values, mask)
    head_context, head_weights = per_head(query, keys, values, mask)
    assert context.shape == (B, T, 5) and weights.shape == (B, T, S)
    assert head_weights.shape == (B, HEADS, T, S)
    torch.testing.assert_close(head_context, context)
    torch.testing.assert_close(head_weights.mean(dim=1), weights)
    torch.testing.assert_close(head_weights.sum(-1), torch.ones(B, HEADS, T))
    assert per_head(query[:, 0], keys, values, mask)[1].shape == (B, HEADS, S)


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("additive", AdditiveAttention),
        ("bahdanau", AdditiveAttention),
        ("dot", DotAttention),
        ("general", GeneralAttention),
        ("concat", ConcatAttention),
        ("scaled_dot", ScaledDotAttention),
        ("multihead", MultiHeadAttention),
    ],
)
def test_factory_builds_each_kind(kind, expected):
    assert type(build_attention(kind, K, K, UNITS)) is expected


def test_factory_rejects_unknown_kinds_and_bad_sizes():
    with pytest.raises(AttnkitError, match="unknown attention kind 'luong'.*additive"):
        build_attention("luong", K, K, UNITS)
    for kind in ("dot", "scaled_dot"):
        with pytest.raises(AttnkitError, match="query_size == key_size, got 5 and 8"):
            build_attention(kind, 5, K, UNITS)
    with pytest.raises(AttnkitError, match="divisible by num_heads"):
        build_attention("multihead", K, K, 10, num_heads=4)
    with pytest.raises(AttnkitError, match="units must be a positive integer"):
        build_attention("additive", K, K, 0)


def test_bad_call_shapes_fail_with_a_clear_message():
    attention = make("additive")
    query, keys, mask = inputs(K)
    with pytest.raises(ValueError, match="query must be"):
        attention(query[0, 0], keys, mask=mask)
    with pytest.raises(ValueError, match="mask must have shape"):
        attention(query, keys, mask=mask[:, :3])
    with pytest.raises(TypeError, match="bool"):
        attention(query, keys, mask=mask.float())
