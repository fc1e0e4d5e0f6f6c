"""Image-to-sequence with a Transformer decoder: the CNN grid of `Img2Seq` (features -> Linear
+ ReLU + dropout, plus a learned position embedding per cell) is the memory that a pre-norm
Transformer decoder cross-attends over.

`forward` returns `TeacherForced(logits, attention, cells)` as `Img2Seq` does; the attention
(B, T, P) is the last decoder layer's cross-attention averaged over its heads, so supervised
attention pulls it toward each atom as it pulls the recurrent model's. Search drives `encode`,
`initial_state`, `decode_step`, `select_state`, `select_memory` (the image's "length" is its
P positions), with the key/value cache as the state.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from attnkit.models.cnn_encoder import CNNEncoder
from attnkit.models.img2seq import TeacherForced
from attnkit.models.sizes import check_sizes
from attnkit.models.transformer_stacks import (
    DecoderCache,
    DecoderMemory,
    TransformerDecoder,
    select_cache,
)


@dataclass(frozen=True)
class Img2SeqTransformerConfig:
    """Sizes of the CNN encoder and the Transformer decoder. `model_size` is the projected grid's
    width and the decoder's; `max_positions` the longest output (`<s>` included)."""

    image_size: int = 128
    encoder_channels: tuple[int, ...] = (32, 64, 128, 256)
    blocks_per_stage: int = 1
    model_size: int = 256
    projection_dropout: float = 0.1
    heads: int = 4
    ff_size: int = 1024
    decoder_layers: int = 3
    dropout: float = 0.1
    max_positions: int = 256
    tie_embeddings: bool = True
    cell_head: bool = False  # a training-only head: the token drawn in each grid cell

    def __post_init__(self) -> None:
        sizes = (self.model_size, self.heads, self.ff_size, self.decoder_layers,
                 self.max_positions, self.blocks_per_stage)
        if min(sizes) < 1 or not self.encoder_channels or min(self.encoder_channels) < 1:
            raise ValueError("all sizes and encoder_channels must be positive")
        check_sizes(self, ("model_size", "ff_size", "image_size"),
                    ("heads", "decoder_layers", "blocks_per_stage"), positions=("max_positions",))
        if self.model_size % self.heads:
            raise ValueError(f"model_size {self.model_size} is not divisible by "
                             f"heads={self.heads}")
        if self.image_size < 2 ** len(self.encoder_channels):
            raise ValueError(f"image_size {self.image_size} is too small for "
                             f"{len(self.encoder_channels)} stride-2 stages")
        for name in ("projection_dropout", "dropout"):
            if not 0 <= getattr(self, name) < 1:
                raise ValueError(f"{name} must be in [0, 1)")

    @property
    def grid_size(self) -> int:
        """G: the encoder's grid is G x G cells (P = G * G positions)."""
        return CNNEncoder.grid_side(self.image_size, len(self.encoder_channels))


class Img2SeqTransformer(nn.Module):
    def __init__(self, vocab_size: int, config: Img2SeqTransformerConfig) -> None:
        super().__init__()
        self.config = config
        D = config.model_size
        self.encoder = CNNEncoder(config.encoder_channels, config.blocks_per_stage)
        self.projection = nn.Sequential(nn.Linear(self.encoder.output_size, D), nn.ReLU(),
                                        nn.Dropout(config.projection_dropout))
        self.position_embedding = nn.Parameter(torch.zeros(config.grid_size ** 2, D))
        self.decoder = TransformerDecoder(vocab_size, config.decoder_layers, D, config.heads,
                                          config.ff_size, config.dropout, config.max_positions,
                                          config.tie_embeddings)
        self.cell_head = nn.Linear(self.encoder.output_size, vocab_size) \
            if config.cell_head else None

    @property
    def positions(self) -> int:
        return self.position_embedding.shape[0]

    def encode(self, source: Tensor, source_lengths: Tensor | None = None) -> DecoderMemory:
        """source: images (B, S, S); source_lengths is ignored (every image has P positions)."""
        return self.memory(self.encoder(source))

    def memory(self, grid: Tensor) -> DecoderMemory:
        """CNN features (B, P, C) -> the grid (B, P, D) the decoder attends over (no mask: every
        cell is real), with each layer's projected keys and values."""
        return self.decoder.memory(self.projection(grid) + self.position_embedding, None)

    def cell_scores(self, grid: Tensor) -> Tensor | None:
        """CNN features (B, P, C) -> the cell head's logits (B, P, V), or None without it."""
        return None if self.cell_head is None else self.cell_head(grid)

    def forward(self, images: Tensor, target_in: Tensor) -> TeacherForced:
        """images (B, S, S), target_in (B, T) starting with `<` -> logits (B, T, V), attention
        (B, T, P) and cell logits (B, P, V) or None."""
        grid = self.encoder(images)
        output = self.decoder(target_in, self.memory(grid))
        return TeacherForced(output.logits, output.cross_weights[:, -1].mean(dim=1),
                             self.cell_scores(grid))

    def attention(self, images: Tensor, target_in: Tensor) -> tuple[Tensor, Tensor]:
        """Every layer's and head's weights, for pictures: self-attention
        (B, layers, heads, T, T) and cross-attention over the grid (B, layers, heads, T, P)."""
        output = self.decoder(target_in, self.encode(images))
        return output.self_weights, output.cross_weights

    def initial_state(self, memory: DecoderMemory) -> DecoderCache:
        return self.decoder.empty_cache(memory)

    def decode_step(self, tokens: Tensor, state: DecoderCache,
                    memory: DecoderMemory) -> tuple[Tensor, DecoderCache, Tensor]:
        """tokens (B,) -> log_probs (B, V), the cache grown by one position, weights (B, P)."""
        return self.decoder.decode_step(tokens, state, memory)

    def select_state(self, state: DecoderCache, indices: Tensor) -> DecoderCache:
        return select_cache(state, indices)

    def select_memory(self, memory: DecoderMemory, indices: Tensor) -> DecoderMemory:
        return memory.select(indices)
