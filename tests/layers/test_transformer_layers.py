"""The Transformer blocks against independent oracles: the sinusoid formula by hand, torch's own
nn.MultiheadAttention and pre-norm nn.TransformerEncoderLayer / nn.TransformerDecoderLayer on the
same weights; and incremental decoding with the key/value cache against the full causal pass."""

import math

import pytest
import torch
from torch import nn

from attnkit.errors import AttnkitError
from attnkit.layers import MultiHeadAttention, lengths_to_mask
from attnkit.layers.positions import SinusoidalPositions, sinusoidal_positions
from attnkit.layers.token_embedding import TokenEmbedding
from attnkit.layers.transformer_decoder_layer import TransformerDecoderLayer
from attnkit.layers.transformer_encoder_layer import TransformerEncoderLayer

E, HEADS, FF = 8, 2, 12
LENGTHS = torch.tensor([5, 2, 4])


@pytest.fixture(autouse=True)
def _single_thread(one_thread):
    yield


def randomised(module: nn.Module) -> nn.Module:
    """Nonzero biases and non-identity norms, so that every weight's mapping is tested."""
    torch.manual_seed(1)
    with torch.no_grad():
        for name, param in module.named_parameters():
            if "bias" in name or "norm" in name:
                param.uniform_(-0.5, 0.5)
    return module.eval()


def test_sinusoids_are_the_formula():
    table = sinusoidal_positions(0, 7, 6, torch.float64)
    for p in range(7):
        for i in range(3):
            angle = p / 10000 ** (2 * i / 6)
            assert table[p, 2 * i].item() == pytest.approx(math.sin(angle), abs=1e-12)
            assert table[p, 2 * i + 1].item() == pytest.approx(math.cos(angle), abs=1e-12)
    torch.testing.assert_close(sinusoidal_positions(3, 4, 6, torch.float64), table[3:])
    assert sinusoidal_positions(0, 2, 5).shape == (2, 5)  # an odd size drops the last cosine


def test_too_long_a_sequence_is_a_user_error():
    with pytest.raises(AttnkitError, match="max_positions=4"):
        SinusoidalPositions(6, 4)(3, start=2)
    with pytest.raises(AttnkitError, match="max_positions"):
        TokenEmbedding(5, 6, 4)(torch.zeros(1, 5, dtype=torch.long))


def torch_attention(ours: MultiHeadAttention) -> nn.MultiheadAttention:
    """torch's multi-head attention holding our weights (our key projection has no bias)."""
    theirs = nn.MultiheadAttention(E, HEADS, batch_first=True)
    with torch.no_grad():
        theirs.in_proj_weight.copy_(torch.cat([ours.query_layer.weight, ours.key_layer.weight,
                                               ours.value_layer.weight]))
        theirs.in_proj_bias.copy_(torch.cat([ours.query_layer.bias, torch.zeros(E),
                                             ours.value_layer.bias]))
        theirs.out_proj.load_state_dict(ours.output_layer.state_dict())
    return theirs.eval()


def causal_block(T: int) -> torch.Tensor:
    """torch's convention: True = not allowed."""
    return torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)


@pytest.mark.parametrize("fused", [False, True])
def test_multihead_matches_torch_with_causal_and_key_masks(fused):
    torch.manual_seed(0)
    ours = randomised(MultiHeadAttention(E, E, HEADS, E, average_heads=False, fused=fused,
                                         causal=True))
    x = torch.randn(3, 5, E)
    mask = lengths_to_mask(LENGTHS, 5)
    context, weights = ours(x, x, mask=mask)
    expected, expected_weights = torch_attention(ours)(
        x, x, x, key_padding_mask=~mask, attn_mask=causal_block(5), average_attn_weights=False)
    torch.testing.assert_close(context, expected)
    torch.testing.assert_close(weights, expected_weights)
    assert (weights[:, :, causal_block(5)] == 0).all()  # no future position
    assert (weights.masked_select(~mask[:, None, None, :]) == 0).all()  # padded keys exactly 0


def test_attend_is_projection_then_attend_projected():
    torch.manual_seed(0)
    attention = randomised(MultiHeadAttention(E, 6, HEADS, E, value_size=6))
    query, keys = torch.randn(3, 4, E), torch.randn(3, 5, 6)
    mask = lengths_to_mask(LENGTHS, 5)
    direct = attention(query, keys, mask=mask)
    projected = attention.attend_projected(query, *attention.project_keys_values(keys, keys),
                                           mask)
    for got, expected in zip(projected, direct, strict=True):
        torch.testing.assert_close(got, expected)


def test_encoder_layer_matches_torchs_pre_norm_layer():
    ours = randomised(TransformerEncoderLayer(E, HEADS, FF))
    theirs = nn.TransformerEncoderLayer(E, HEADS, FF, dropout=0.0, batch_first=True,
                                        norm_first=True).eval()
    theirs.self_attn = torch_attention(ours.self_attention)
    theirs.linear1.load_state_dict(ours.feed_forward.inner.state_dict())
    theirs.linear2.load_state_dict(ours.feed_forward.outer.state_dict())
    theirs.norm1.load_state_dict(ours.attention_norm.state_dict())
    theirs.norm2.load_state_dict(ours.feed_forward_norm.state_dict())
    x = torch.randn(3, 5, E)
    mask = lengths_to_mask(LENGTHS, 5)
    outputs, weights = ours(x, mask)
    expected = theirs(x, src_key_padding_mask=~mask)
    torch.testing.assert_close(outputs[mask], expected[mask])
    assert weights.shape == (3, HEADS, 5, 5)


def decoder_pair() -> tuple[TransformerDecoderLayer, nn.TransformerDecoderLayer]:
    ours = randomised(TransformerDecoderLayer(E, HEADS, FF))
    theirs = nn.TransformerDecoderLayer(E, HEADS, FF, dropout=0.0, batch_first=True,
                                        norm_first=True).eval()
    theirs.self_attn = torch_attention(ours.self_attention)
    theirs.multihead_attn = torch_attention(ours.cross_attention)
    theirs.linear1.load_state_dict(ours.feed_forward.inner.state_dict())
    theirs.linear2.load_state_dict(ours.feed_forward.outer.state_dict())
    for mine, norm in (("self_norm", theirs.norm1), ("cross_norm", theirs.norm2),
                       ("feed_forward_norm", theirs.norm3)):
        norm.load_state_dict(getattr(ours, mine).state_dict())
    return ours, theirs


def test_decoder_layer_matches_torchs_pre_norm_layer():
    ours, theirs = decoder_pair()
    x, memory = torch.randn(3, 4, E), torch.randn(3, 5, E)
    mask = lengths_to_mask(LENGTHS, 5)
    output = ours(x, memory, mask)
    expected = theirs(x, memory, tgt_mask=causal_block(4), memory_key_padding_mask=~mask)
    torch.testing.assert_close(output.outputs, expected)
    assert (output.cross_weights.masked_select(~mask[:, None, None, :]) == 0).all()


def test_step_by_step_with_the_cache_equals_the_full_causal_pass():
    ours, _ = decoder_pair()
    x, memory = torch.randn(3, 6, E), torch.randn(3, 5, E)
    mask = lengths_to_mask(LENGTHS, 5)
    full = ours(x, memory, mask)
    projected = ours.project_memory(memory)
    cache = ours.empty_cache(projected)
    for t in range(6):
        step, cache = ours.step(x[:, t : t + 1], cache, projected, mask)
        torch.testing.assert_close(step.outputs[:, 0], full.outputs[:, t])
        torch.testing.assert_close(step.cross_weights[:, :, 0], full.cross_weights[:, :, t])
        torch.testing.assert_close(step.self_weights[:, :, 0], full.self_weights[:, :, t, : t + 1])
    assert cache.keys.shape == (3, HEADS, 6, E // HEADS)
    # two new positions at once (a prefix) give the same as one at a time
    cache = ours.empty_cache(projected)
    first, cache = ours.step(x[:, :2], cache, projected, mask)
    rest, _ = ours.step(x[:, 2:], cache, projected, mask)
    torch.testing.assert_close(torch.cat([first.outputs, rest.outputs], 1), full.outputs)


def test_bad_sizes_are_user_errors():
    with pytest.raises(AttnkitError, match="divisible"):
        TransformerEncoderLayer(10, 3, 8)
    with pytest.raises(AttnkitError, match="dropout"):
        TransformerDecoderLayer(8, 2, 8, dropout=1.0)
