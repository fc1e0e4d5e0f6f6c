"""A pre-norm Transformer decoder layer: causal self-attention, cross-attention over the
encoder's memory and the feed-forward layer, each through a LayerNorm and added back.

Incremental decoding: `step` takes only the new positions and a `LayerCache` of the projected
keys and values of all earlier positions, and gives what the full causal pass gives at those
positions (tested equal); the memory's keys and values are projected once per source
(`project_memory`).
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor, nn

from attnkit.layers.feed_forward import PositionwiseFeedForward
from attnkit.layers.multihead import MultiHeadAttention
from attnkit.layers.transformer_encoder_layer import check_sizes


class LayerCache(NamedTuple):
    """Projected keys and values of one attention, per head: each (B, heads, L, E / heads);
    L = positions decoded so far (self-attention) or S (the memory, for cross-attention)."""

    keys: Tensor
    values: Tensor


class DecoderLayerOutput(NamedTuple):
    """outputs (B, T, E); self_weights (B, heads, T, L) over the target positions so far;
    cross_weights (B, heads, T, S) over the memory."""

    outputs: Tensor
    self_weights: Tensor
    cross_weights: Tensor


class TransformerDecoderLayer(nn.Module):
    """h1 = x + dropout(CausalSelfAttention(LN(x))); h2 = h1 + dropout(CrossAttention(LN(h1),
    memory)); out = h2 + dropout(FFN(LN(h2))). The memory must be E wide."""

    def __init__(self, size: int, num_heads: int, inner_size: int, dropout: float = 0.0) -> None:
        super().__init__()
        check_sizes(size, num_heads, inner_size, dropout)
        self.num_heads = num_heads
        self.self_norm = nn.LayerNorm(size)
        self.self_attention = MultiHeadAttention(size, size, num_heads, size,
                                                 average_heads=False, causal=True)
        self.cross_norm = nn.LayerNorm(size)
        self.cross_attention = MultiHeadAttention(size, size, num_heads, size,
                                                  average_heads=False)
        self.feed_forward_norm = nn.LayerNorm(size)
        self.feed_forward = PositionwiseFeedForward(size, inner_size, dropout)
        self.dropout = nn.Dropout(dropout)

    def forward(self, inputs: Tensor, memory: Tensor,
                memory_mask: Tensor | None) -> DecoderLayerOutput:
        """The full causal pass: inputs (B, T, E), memory (B, S, E), memory_mask (B, S)."""
        return self.causal_pass(inputs, self.project_memory(memory), memory_mask)

    def causal_pass(self, inputs: Tensor, memory: LayerCache,
                    memory_mask: Tensor | None) -> DecoderLayerOutput:
        """`forward` over a memory already projected by `project_memory`."""
        normed = self.self_norm(inputs)
        context, self_weights = self.self_attention(normed, normed)
        hidden = inputs + self.dropout(context)
        return self.attend_memory(hidden, self_weights, memory, memory_mask)

    def step(self, inputs: Tensor, cache: LayerCache, memory: LayerCache,
             memory_mask: Tensor | None) -> tuple[DecoderLayerOutput, LayerCache]:
        """New positions only: inputs (B, T', E) (T' = 1 in search), cache of the L earlier
        positions, memory from `project_memory` -> the outputs at the new positions (self
        weights (B, heads, T', L + T')) and the cache extended by them."""
        normed = self.self_norm(inputs)
        keys, values = self.self_attention.project_keys_values(normed, normed)
        cache = LayerCache(torch.cat([cache.keys, keys], dim=2),
                           torch.cat([cache.values, values], dim=2))
        context, self_weights = self.self_attention.attend_projected(normed, *cache, None)
        hidden = inputs + self.dropout(context)
        return self.attend_memory(hidden, self_weights, memory, memory_mask), cache

    def attend_memory(self, hidden: Tensor, self_weights: Tensor, memory: LayerCache,
                      memory_mask: Tensor | None) -> DecoderLayerOutput:
        """The rest of the layer after self-attention: cross-attention and feed-forward."""
        context, cross_weights = self.cross_attention.attend_projected(
            self.cross_norm(hidden), *memory, memory_mask)
        hidden = hidden + self.dropout(context)
        outputs = hidden + self.dropout(self.feed_forward(self.feed_forward_norm(hidden)))
        return DecoderLayerOutput(outputs, self_weights, cross_weights)

    def project_memory(self, memory: Tensor) -> LayerCache:
        """memory (B, S, E) -> its cross-attention keys and values, per head."""
        return LayerCache(*self.cross_attention.project_keys_values(memory, memory))

    def empty_cache(self, memory: LayerCache) -> LayerCache:
        """A cache of no positions, shaped and placed like the projected memory."""
        empty = memory.keys[:, :, :0]
        return LayerCache(empty, empty)
