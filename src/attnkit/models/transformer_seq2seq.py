"""The Transformer encoder-decoder (Vaswani et al., 2017), pre-norm (Wang et al., 2019; the
layout of Joey NMT and OpenNMT-py's defaults), for token sequences.

Source tokens -> `TokenEmbedding` -> `TransformerEncoder` -> memory; target tokens ->
`TransformerDecoder` (causal self-attention, cross-attention over the memory) -> logits.
`forward` is teacher-forced scoring with the call and return of `models.seq2seq.Seq2seq`;
search (`attnkit.decoding`) drives `encode`, `initial_state`, `decode_step`, `select_state`,
`select_memory`, with the decoder's key/value cache as the state (`transformer_stacks`).

Parameter names: `source_embedding.weight` (absent when the source shares the target's table),
`encoder.layers.{i}.*`, `encoder.final_norm.*`, `decoder.embedding.weight`,
`decoder.layers.{i}.*`, `decoder.final_norm.*`, `decoder.output.bias` and, untied,
`decoder.output.weight`. The NumPy engine's `TransformerSeq2Seq` uses the same names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from torch import Tensor, nn

from attnkit.errors import AttnkitError
from attnkit.layers.masks import lengths_to_mask
from attnkit.layers.token_embedding import TokenEmbedding
from attnkit.models.sizes import check_sizes
from attnkit.models.transformer_stacks import (
    DecoderCache,
    DecoderMemory,
    TransformerDecoder,
    TransformerEncoder,
    select_cache,
)


@dataclass(frozen=True)
class TransformerConfig:
    """Sizes of the encoder-decoder. `ff_size` is the feed-forward layer's inner size;
    `max_positions` the longest source or target (in tokens, `<s>` included) it accepts.
    `tie_embeddings`: the target embedding table is also the output layer, and the source
    uses the same table when the model is built with `shared_vocabulary=True`."""

    model_size: int = 256
    heads: int = 4
    ff_size: int = 1024
    encoder_layers: int = 3
    decoder_layers: int = 3
    dropout: float = 0.1
    max_positions: int = 512
    tie_embeddings: bool = True

    def __post_init__(self) -> None:
        sizes = (self.model_size, self.heads, self.ff_size, self.encoder_layers,
                 self.decoder_layers, self.max_positions)
        if min(sizes) < 1:
            raise ValueError("model_size, heads, ff_size, encoder_layers, decoder_layers and "
                             "max_positions must be positive")
        check_sizes(self, ("model_size", "ff_size"), ("heads", "encoder_layers", "decoder_layers"),
                    positions=("max_positions",))
        if self.model_size % self.heads:
            raise ValueError(f"model_size {self.model_size} is not divisible by "
                             f"heads={self.heads}")
        if not 0 <= self.dropout < 1:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")


class TransformerAttention(NamedTuple):
    """Every layer's and head's attention, for pictures: encoder (B, layers, heads, S, S),
    decoder self-attention (B, layers, heads, T, T), cross-attention (B, layers, heads, T, S)."""

    encoder: Tensor
    decoder: Tensor
    cross: Tensor


class TransformerSeq2Seq(nn.Module):
    """source (B, S) right-padded, source_lengths (B,), target_in (B, T) -> logits (B, T, V)."""

    def __init__(self, source_vocab_size: int, target_vocab_size: int,
                 config: TransformerConfig | None = None,
                 shared_vocabulary: bool = False) -> None:
        super().__init__()
        self.config = config = config or TransformerConfig()
        if shared_vocabulary and source_vocab_size != target_vocab_size:
            raise AttnkitError(f"a shared vocabulary has one size, got {source_vocab_size} "
                               f"source and {target_vocab_size} target tokens")
        # Tied source: no table of its own (None), so that a checkpoint of the other kind does
        # not load by accident: its keys differ.
        tie_source = shared_vocabulary and config.tie_embeddings
        self.source_embedding = None if tie_source else TokenEmbedding(
            source_vocab_size, config.model_size, config.max_positions, config.dropout)
        self.encoder = TransformerEncoder(config.encoder_layers, config.model_size,
                                          config.heads, config.ff_size, config.dropout)
        self.decoder = TransformerDecoder(
            target_vocab_size, config.decoder_layers, config.model_size, config.heads,
            config.ff_size, config.dropout, config.max_positions, config.tie_embeddings)

    def embed_source(self, source: Tensor) -> Tensor:
        """source (B, S) -> (B, S, E)."""
        if self.source_embedding is None:  # shared and tied
            return self.decoder.embedding(source)
        return self.source_embedding(source)

    def forward(self, source: Tensor, source_lengths: Tensor, target_in: Tensor) -> Tensor:
        """source (B, S), source_lengths (B,), target_in (B, T) -> logits (B, T, V)."""
        return self.decoder(target_in, self.encode(source, source_lengths)).logits

    def encode_with_weights(self, source: Tensor,
                            source_lengths: Tensor) -> tuple[DecoderMemory, Tensor]:
        """-> the decoder's memory and the encoder's weights (B, layers, heads, S, S)."""
        B, S = source.shape
        mask = lengths_to_mask(source_lengths.to(source.device), S)
        states, weights = self.encoder(self.embed_source(source), mask)
        return self.decoder.memory(states, mask), weights

    def encode(self, source: Tensor, source_lengths: Tensor) -> DecoderMemory:
        """source (B, S), source_lengths (B,) -> memory: states (B, S, E), mask (B, S) and each
        decoder layer's cross-attention keys and values, projected once for the whole search."""
        return self.encode_with_weights(source, source_lengths)[0]

    def initial_state(self, memory: DecoderMemory) -> DecoderCache:
        """An empty key/value cache: per layer, keys and values (B, heads, 0, E / heads)."""
        return self.decoder.empty_cache(memory)

    def decode_step(self, tokens: Tensor, state: DecoderCache,
                    memory: DecoderMemory) -> tuple[Tensor, DecoderCache, Tensor]:
        """tokens (B,) -> log_probs (B, V), the cache grown by one position, weights (B, S):
        the last layer's cross-attention, averaged over its heads."""
        return self.decoder.decode_step(tokens, state, memory)

    def select_state(self, state: DecoderCache, indices: Tensor) -> DecoderCache:
        """Keep/repeat/reorder batch rows of every layer's cache."""
        return select_cache(state, indices)

    def select_memory(self, memory: DecoderMemory, indices: Tensor) -> DecoderMemory:
        return memory.select(indices)

    def attention(self, source: Tensor, source_lengths: Tensor,
                  target_in: Tensor) -> TransformerAttention:
        """Every layer's and head's weights when the model reads `target_in` (B, T) (e.g. `<s>`
        then a decoded output): see `TransformerAttention`."""
        memory, encoder_weights = self.encode_with_weights(source, source_lengths)
        output = self.decoder(target_in, memory)
        return TransformerAttention(encoder_weights, output.self_weights, output.cross_weights)
