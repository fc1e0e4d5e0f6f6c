"""Expected values: hand-computed examples, the fused path against the readable one,
finite-difference gradient checks, and the mask functions."""

import math

import pytest
import torch
from torch.autograd import gradcheck

from attnkit.layers import (
    AdditiveAttention,
    ConcatAttention,
    DotAttention,
    GeneralAttention,
    MultiHeadAttention,
    ScaledDotAttention,
    lengths_to_mask,
    masked_softmax,
)


def test_dot_attention_hand_computed():
    query = torch.tensor([[1.0, 0.0]])
    keys = torch.tensor([[[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]])
    # scores (1, 0, 1): weights (e, 1, e) / (2e + 1)
    context, weights = DotAttention()(query, keys)
    torch.testing.assert_close(weights, torch.tensor([[0.42231882, 0.15536241, 0.42231882]]))
    torch.testing.assert_close(context, torch.tensor([[0.84463763, 0.57768124]]))
    # third key masked: weights (e, 1) / (e + 1)
    context, weights = DotAttention()(query, keys, mask=torch.tensor([[True, True, False]]))
    torch.testing.assert_close(weights, torch.tensor([[0.73105858, 0.26894142, 0.0]]))
    torch.testing.assert_close(context, torch.tensor([[0.73105858, 0.26894142]]))


def test_scaled_dot_attention_hand_computed():
    query = torch.tensor([[[2.0, 0.0]]])
    keys = torch.tensor([[[1.0, 0.0], [0.0, 1.0]]])
    # scores (2, 0) / sqrt(2): weights sigmoid(+-sqrt(2))
    _, weights = ScaledDotAttention()(query, keys)
    torch.testing.assert_close(weights, torch.tensor([[[0.80443243, 0.19556757]]]))


def test_additive_attention_hand_computed():
    attention = AdditiveAttention(query_size=2, key_size=2, units=2)
    with torch.no_grad():
        attention.key_layer.weight.copy_(torch.eye(2))
        attention.query_layer.weight.copy_(torch.eye(2))
        attention.query_layer.bias.zero_()
        attention.energy_layer.weight.copy_(torch.tensor([[1.0, 1.0]]))
    query = torch.tensor([[0.5, -0.5]])
    keys = torch.tensor([[[1.0, 0.0], [0.0, 1.0]]])
    values = torch.tensor([[[2.0, 0.0], [0.0, 4.0]]])
    # scores: tanh(1.5) + tanh(-0.5) = 0.44303110, tanh(0.5) + tanh(0.5) = 0.92423431
    context, weights = attention(query, keys, values)
    torch.testing.assert_close(weights, torch.tensor([[0.38196804, 0.61803196]]))
    torch.testing.assert_close(context, torch.tensor([[0.76393609, 2.47212783]]))


def test_concat_attention_equals_its_formula():
    torch.manual_seed(0)
    attention = ConcatAttention(query_size=3, key_size=4, units=5)
    query, keys = torch.randn(2, 3), torch.randn(2, 6, 4)
    _, weights = attention(query, keys)
    pairs = torch.cat([query[:, None].expand(2, 6, 3), keys], dim=-1)  # (B, S, H + K)
    scores = attention.energy_layer(torch.tanh(attention.concat_layer(pairs))).squeeze(-1)
    torch.testing.assert_close(weights, torch.softmax(scores, -1))


def masked_batch(dtype: torch.dtype = torch.float32) -> tuple[torch.Tensor, ...]:
    generator = torch.Generator().manual_seed(0)
    query = torch.randn(3, 2, 4, generator=generator, dtype=dtype)
    keys = torch.randn(3, 5, 4, generator=generator, dtype=dtype)
    values = torch.randn(3, 5, 3, generator=generator, dtype=dtype)
    mask = lengths_to_mask(torch.tensor([5, 2, 0]))  # the last row has no key at all
    return query, keys, values, mask


@pytest.mark.parametrize("use_mask", [True, False])
def test_fused_scaled_dot_equals_readable_path(use_mask):
    query, keys, values, mask = masked_batch()
    mask = mask if use_mask else None
    results = []
    for fused in (False, True):
        inputs = [tensor.clone().requires_grad_(True) for tensor in (query, keys, values)]
        context, weights = ScaledDotAttention(fused=fused)(*inputs, mask=mask)
        (context * torch.linspace(-1, 1, 3)).sum().backward()
        results.append((context, weights, [tensor.grad for tensor in inputs]))
    (context, weights, grads), (fused_context, fused_weights, fused_grads) = results
    torch.testing.assert_close(fused_context, context)
    torch.testing.assert_close(fused_weights, weights)
    for fused_grad, grad in zip(fused_grads, grads, strict=True):
        torch.testing.assert_close(fused_grad, grad)
    if use_mask:
        assert torch.all(fused_weights[2] == 0.0) and torch.all(fused_context[2] == 0.0)
    assert not fused_weights.requires_grad  # documented: the fused path detaches the weights


def test_fused_multihead_equals_readable_path():
    query, keys, values, mask = masked_batch()
    torch.manual_seed(0)
    readable = MultiHeadAttention(4, 4, num_heads=2, units=6, value_size=3)
    fused = MultiHeadAttention(4, 4, num_heads=2, units=6, value_size=3, fused=True)
    fused.load_state_dict(readable.state_dict())
    context, weights = readable(query, keys, values, mask)
    fused_context, fused_weights = fused(query, keys, values, mask)
    torch.testing.assert_close(fused_context, context)
    torch.testing.assert_close(fused_weights, weights)
    context.sum().backward()
    fused_context.sum().backward()
    for (name, parameter), fused_parameter in zip(
        readable.named_parameters(), fused.parameters(), strict=True
    ):
        torch.testing.assert_close(fused_parameter.grad, parameter.grad, msg=name)


@pytest.mark.parametrize(
    "make_attention",
    [
        lambda: AdditiveAttention(4, 4, 3),
        lambda: MultiHeadAttention(4, 4, num_heads=2, units=4, value_size=3),
        lambda: GeneralAttention(4, 4),
        lambda: ConcatAttention(4, 4, 3),
    ],
    ids=["additive", "multihead", "general", "concat"],
)
def test_gradcheck_float64(make_attention):
    torch.manual_seed(0)
    attention = make_attention().double()
    query, keys, values, mask = masked_batch(torch.float64)
    inputs = [tensor.requires_grad_(True) for tensor in (query, keys, values)]
    assert gradcheck(lambda q, k, v: attention(q, k, v, mask), inputs)
    parameters = list(attention.parameters())

    def from_parameters(*tensors):
        state = dict(zip([name for name, _ in attention.named_parameters()], tensors, strict=True))
        return torch.func.functional_call(attention, state, (query, keys, values, mask))

    copies = [parameter.detach().clone().requires_grad_(True) for parameter in parameters]
    assert gradcheck(from_parameters, copies, fast_mode=True)


def test_lengths_to_mask():
    expected = torch.tensor([[True, True, False], [False, False, False], [True, True, True]])
    assert torch.equal(lengths_to_mask(torch.tensor([2, 0, 3])), expected)
    wide = lengths_to_mask(torch.tensor([2, 0, 3]), max_len=5)
    assert wide.shape == (3, 5) and wide.dtype == torch.bool
    assert torch.equal(wide[:, :3], expected) and not wide[:, 3:].any()
    with pytest.raises(ValueError, match="shorter than the longest"):
        lengths_to_mask(torch.tensor([2, 4]), max_len=3)


def test_masked_softmax_broadcasts_over_heads_and_handles_empty_rows():
    scores = torch.randn(2, 3, 4, 5, dtype=torch.float64, requires_grad=True)  # (B, heads, T, S)
    mask = lengths_to_mask(torch.tensor([3, 0]), 5)[:, None, None, :]  # (B, 1, 1, S)
    weights = masked_softmax(scores, mask)
    assert torch.all(weights[0, ..., 3:] == 0.0) and torch.all(weights[1] == 0.0)
    expected = torch.softmax(scores[0, ..., :3], dim=-1)
    torch.testing.assert_close(weights[0, ..., :3], expected)
    assert gradcheck(lambda s: masked_softmax(s, mask), [scores])
    assert math.isclose(masked_softmax(scores.detach(), None)[0, 0, 0].sum().item(), 1.0)
