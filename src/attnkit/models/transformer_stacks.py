"""The two stacks every Transformer model here is made of.

`TransformerEncoder`: N pre-norm encoder layers over vectors and a final LayerNorm (pre-norm
layers leave their sum unnormalised). `TransformerDecoder`: the target side, from token ids to
logits: `TokenEmbedding`, N pre-norm decoder layers over a memory, a final LayerNorm and the
output layer, which with `tie_embeddings` scores the vocabulary with the embedding table itself
(Press & Wolf, 2017: the weights exist once, so the state_dict has no `output.weight`).

The decoder's search state is its key/value cache: `DecoderCache`, one `LayerCache` per layer
(keys and values (B, heads, L, E / heads) of the L tokens decoded so far); the memory's
projected keys and values (`DecoderMemory.projected`) are computed once per source.
Right-padded targets need no mask of their own: padding comes after every real token, which the
causal mask already hides from it, and the loss ignores the outputs at padding.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from attnkit.layers.token_embedding import TokenEmbedding
from attnkit.layers.transformer_decoder_layer import LayerCache, TransformerDecoderLayer
from attnkit.layers.transformer_encoder_layer import TransformerEncoderLayer

DecoderCache = tuple[LayerCache, ...]


class DecoderMemory(NamedTuple):
    """What the decoder reads: states (B, S, E), mask (B, S) bool (True = real position) or
    None (every position real), and each layer's projected keys and values of the states."""

    states: Tensor
    mask: Tensor | None
    projected: tuple[LayerCache, ...]

    def select(self, indices: Tensor) -> DecoderMemory:
        """The memory of batch rows `indices` (B',), in that order (rows may repeat)."""
        return DecoderMemory(
            self.states.index_select(0, indices),
            None if self.mask is None else self.mask.index_select(0, indices),
            select_cache(self.projected, indices))


def select_cache(cache: tuple[LayerCache, ...], indices: Tensor) -> tuple[LayerCache, ...]:
    """Batch rows `indices` of every layer's keys and values."""
    return tuple(LayerCache(layer.keys.index_select(0, indices),
                            layer.values.index_select(0, indices)) for layer in cache)


class DecoderOutput(NamedTuple):
    """logits (B, T, V); self_weights (B, layers, heads, T, L); cross_weights
    (B, layers, heads, T, S)."""

    logits: Tensor
    self_weights: Tensor
    cross_weights: Tensor


class TransformerEncoder(nn.Module):
    """inputs (B, S, E) (embedded, positions added), mask (B, S) | None -> states (B, S, E),
    weights (B, layers, heads, S, S)."""

    def __init__(self, num_layers: int, size: int, num_heads: int, inner_size: int,
                 dropout: float = 0.0) -> None:
        super().__init__()
        self.layers = nn.ModuleList(TransformerEncoderLayer(size, num_heads, inner_size, dropout)
                                    for _ in range(num_layers))
        self.final_norm = nn.LayerNorm(size)

    def forward(self, inputs: Tensor, mask: Tensor | None) -> tuple[Tensor, Tensor]:
        states, weights = inputs, []
        for layer in self.layers:
            states, layer_weights = layer(states, mask)
            weights.append(layer_weights)
        return self.final_norm(states), torch.stack(weights, dim=1)


class OutputLayer(nn.Module):
    """states (..., E) -> logits (..., V) = states @ W^T + bias; W is its own `weight` (V, E), or,
    tied, the embedding table passed to `forward`."""

    def __init__(self, size: int, vocab_size: int, tied: bool) -> None:
        super().__init__()
        self.weight = None if tied else nn.Parameter(torch.empty(vocab_size, size))
        self.bias = nn.Parameter(torch.zeros(vocab_size))
        if self.weight is not None:
            nn.init.normal_(self.weight, std=size**-0.5)

    def forward(self, states: Tensor, embedding_weight: Tensor) -> Tensor:
        return F.linear(states, embedding_weight if self.weight is None else self.weight,
                        self.bias)


class TransformerDecoder(nn.Module):
    """The target side: token ids and a memory -> logits, in one causal pass or step by step."""

    def __init__(self, vocab_size: int, num_layers: int, size: int, num_heads: int,
                 inner_size: int, dropout: float, max_positions: int,
                 tie_embeddings: bool) -> None:
        super().__init__()
        self.embedding = TokenEmbedding(vocab_size, size, max_positions, dropout)
        self.layers = nn.ModuleList(TransformerDecoderLayer(size, num_heads, inner_size, dropout)
                                    for _ in range(num_layers))
        self.final_norm = nn.LayerNorm(size)
        self.output = OutputLayer(size, vocab_size, tie_embeddings)

    def memory(self, states: Tensor, mask: Tensor | None) -> DecoderMemory:
        """states (B, S, E), mask (B, S) | None -> the memory with each layer's projections."""
        return DecoderMemory(states, mask,
                             tuple(layer.project_memory(states) for layer in self.layers))

    def forward(self, tokens: Tensor, memory: DecoderMemory) -> DecoderOutput:
        """The teacher-forced causal pass: tokens (B, T) -> logits (B, T, V) and every layer's
        weights."""
        hidden = self.embedding(tokens)
        self_weights, cross_weights = [], []
        for layer, projected in zip(self.layers, memory.projected, strict=True):
            output = layer.causal_pass(hidden, projected, memory.mask)
            hidden = output.outputs
            self_weights.append(output.self_weights)
            cross_weights.append(output.cross_weights)
        return DecoderOutput(self.scores(hidden), torch.stack(self_weights, dim=1),
                             torch.stack(cross_weights, dim=1))

    def empty_cache(self, memory: DecoderMemory) -> DecoderCache:
        return tuple(layer.empty_cache(projected)
                     for layer, projected in zip(self.layers, memory.projected, strict=True))

    def step(self, tokens: Tensor, cache: DecoderCache,
             memory: DecoderMemory) -> tuple[DecoderOutput, DecoderCache]:
        """tokens (B, T') following the cached positions -> the outputs at those positions, as
        `forward` gives them (self weights (B, layers, heads, T', L + T')), and the cache
        extended by them."""
        hidden = self.embedding(tokens, start=cache[0].keys.shape[2] if cache else 0)
        new_cache, self_weights, cross_weights = [], [], []
        for layer, layer_cache, projected in zip(self.layers, cache, memory.projected,
                                                 strict=True):
            output, layer_cache = layer.step(hidden, layer_cache, projected, memory.mask)
            hidden = output.outputs
            new_cache.append(layer_cache)
            self_weights.append(output.self_weights)
            cross_weights.append(output.cross_weights)
        return DecoderOutput(self.scores(hidden), torch.stack(self_weights, dim=1),
                             torch.stack(cross_weights, dim=1)), tuple(new_cache)

    def decode_step(self, tokens: Tensor, cache: DecoderCache,
                    memory: DecoderMemory) -> tuple[Tensor, DecoderCache, Tensor]:
        """One search step: tokens (B,) -> log_probs (B, V), the cache grown by one position,
        weights (B, S): the last layer's cross-attention, averaged over its heads."""
        output, cache = self.step(tokens.unsqueeze(1), cache, memory)
        log_probs = torch.log_softmax(output.logits[:, 0].float(), dim=-1)
        return log_probs, cache, output.cross_weights[:, -1, :, 0].mean(dim=1)

    def scores(self, hidden: Tensor) -> Tensor:
        """hidden (..., E) before the final norm -> logits (..., V)."""
        return self.output(self.final_norm(hidden), self.embedding.weight)
