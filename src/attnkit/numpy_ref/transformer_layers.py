"""Pre-norm Transformer encoder and decoder layers of the NumPy engine, with explicit backward
passes: the maths of `layers.transformer_encoder_layer` and `layers.transformer_decoder_layer`
(without dropout, which the NumPy engine does not have)."""

from __future__ import annotations

import numpy as np
from numpy.typing import DTypeLike

from attnkit.numpy_ref.feed_forward import PositionwiseFeedForward
from attnkit.numpy_ref.initializers import nested_params
from attnkit.numpy_ref.linear import layer_norm
from attnkit.numpy_ref.multihead import MultiHeadAttention
from attnkit.numpy_ref.seq2seq import NamedParameters


class TransformerEncoderLayer(NamedParameters):
    """x (B, S, E), mask (B, S) -> (B, S, E): h = x + SelfAttention(LN(x)); h + FFN(LN(h)).
    `weights` (B, heads, S, S) holds the last forward's attention."""

    def __init__(self, size: int, num_heads: int, inner_size: int, rng: np.random.Generator,
                 dtype: DTypeLike = np.float32) -> None:
        self.attention_norm = layer_norm(size, dtype)
        self.self_attention = MultiHeadAttention(size, size, num_heads, size, rng, dtype)
        self.feed_forward_norm = layer_norm(size, dtype)
        self.feed_forward = PositionwiseFeedForward(size, inner_size, rng, dtype)
        self.named = nested_params({
            "attention_norm": self.attention_norm, "self_attention": self.self_attention,
            "feed_forward_norm": self.feed_forward_norm, "feed_forward": self.feed_forward})
        self.weights: np.ndarray | None = None

    def forward(self, x: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
        normed = self.attention_norm.forward(x)
        context, self.weights = self.self_attention.forward(normed, normed, normed, mask)
        hidden = x + context
        return hidden + self.feed_forward.forward(self.feed_forward_norm.forward(hidden))

    def backward(self, dout: np.ndarray) -> np.ndarray:
        dhidden = dout + self.feed_forward_norm.backward(self.feed_forward.backward(dout))
        dquery, dkeys, dvalues = self.self_attention.backward(dhidden)
        return dhidden + self.attention_norm.backward(dquery + dkeys + dvalues)


class TransformerDecoderLayer(NamedParameters):
    """x (B, T, E), memory (B, S, E), memory_mask (B, S) -> (B, T, E):
    h1 = x + CausalSelfAttention(LN(x)); h2 = h1 + CrossAttention(LN(h1), memory);
    h2 + FFN(LN(h2)). `self_weights` (B, heads, T, T) and `cross_weights` (B, heads, T, S) hold
    the last forward's attention."""

    def __init__(self, size: int, num_heads: int, inner_size: int, rng: np.random.Generator,
                 dtype: DTypeLike = np.float32) -> None:
        self.self_norm = layer_norm(size, dtype)
        self.self_attention = MultiHeadAttention(size, size, num_heads, size, rng, dtype,
                                                 causal=True)
        self.cross_norm = layer_norm(size, dtype)
        self.cross_attention = MultiHeadAttention(size, size, num_heads, size, rng, dtype)
        self.feed_forward_norm = layer_norm(size, dtype)
        self.feed_forward = PositionwiseFeedForward(size, inner_size, rng, dtype)
        self.named = nested_params({
            "self_norm": self.self_norm, "self_attention": self.self_attention,
            "cross_norm": self.cross_norm, "cross_attention": self.cross_attention,
            "feed_forward_norm": self.feed_forward_norm, "feed_forward": self.feed_forward})
        self.self_weights: np.ndarray | None = None
        self.cross_weights: np.ndarray | None = None

    def forward(self, x: np.ndarray, memory: np.ndarray,
                memory_mask: np.ndarray | None) -> np.ndarray:
        normed = self.self_norm.forward(x)
        context, self.self_weights = self.self_attention.forward(normed, normed, normed)
        hidden = x + context
        context, self.cross_weights = self.cross_attention.forward(
            self.cross_norm.forward(hidden), memory, memory, memory_mask)
        hidden = hidden + context
        return hidden + self.feed_forward.forward(self.feed_forward_norm.forward(hidden))

    def backward(self, dout: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """-> dx (B, T, E), dmemory (B, S, E)."""
        dhidden = dout + self.feed_forward_norm.backward(self.feed_forward.backward(dout))
        dquery, dkeys, dvalues = self.cross_attention.backward(dhidden)
        dhidden = dhidden + self.cross_norm.backward(dquery)
        dmemory = dkeys + dvalues
        dquery, dkeys, dvalues = self.self_attention.backward(dhidden)
        return dhidden + self.self_norm.backward(dquery + dkeys + dvalues), dmemory
