"""Image-to-sequence: CNN grid encoder and a GRU (or LSTM) decoder with attention over the grid.

The seed's layout: CNN features (B, P, C) -> Linear + ReLU + dropout (the projection, D wide),
plus a learned position embedding per grid cell. Each decoder step attends over the P positions
with the PREVIOUS hidden state as the query, feeds [context; embedding(token)] to the recurrent
cell, and scores the vocabulary with fc1 -> dropout -> fc2 on the new hidden state.

Attention depends on the previous hidden state, so teacher forcing is a loop over T steps; the
keys' projection (W1 k of additive attention) is computed once per image (`GridMemory.keys`),
so each step only projects the query. `forward` is teacher-forced scoring: it returns the
logits with the attention weights of every step (which supervised attention pulls toward the
atom being written) and, with `cell_head`, per-cell token logits of a training-only head that
names what is drawn in each grid cell. Search lives in `attnkit.decoding`, which drives
`encode`, `initial_state`, `decode_step`, `select_state`, `select_memory` (the "source" is the
image, its "length" the P positions).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, NamedTuple

import torch
from torch import Tensor, nn

from attnkit.layers import AdditiveAttention, build_attention
from attnkit.layers.additive import tanh_scores
from attnkit.layers.masks import masked_softmax
from attnkit.models.cnn_encoder import CNNEncoder
from attnkit.models.sizes import check_sizes

State = tuple[Tensor, ...]  # (h,) for a GRU, (h, c) for an LSTM, each (B, H)
TRAINING_ONLY_PREFIX = "cell_head."  # weights a reading model does not need


@dataclass(frozen=True)
class Img2SeqConfig:
    """Sizes of the encoder and decoder; `attention` is any kind `build_attention` knows."""

    image_size: int = 128
    encoder_channels: tuple[int, ...] = (32, 64, 128, 256)
    blocks_per_stage: int = 1
    projection_size: int = 256
    projection_dropout: float = 0.25
    embedding_size: int = 64
    hidden_size: int = 256
    rnn: Literal["gru", "lstm"] = "gru"
    attention: str = "additive"
    attention_units: int = 256
    output_size: int = 256
    output_dropout: float = 0.25
    cell_head: bool = False  # a training-only head: the token drawn in each grid cell

    def __post_init__(self) -> None:
        sizes = (self.projection_size, self.embedding_size, self.hidden_size,
                 self.attention_units, self.output_size, self.blocks_per_stage)
        if min(sizes) < 1 or not self.encoder_channels or min(self.encoder_channels) < 1:
            raise ValueError("all sizes and encoder_channels must be positive")
        check_sizes(self, ("projection_size", "embedding_size", "hidden_size", "attention_units",
                           "output_size", "image_size"), ("blocks_per_stage",))
        if max(self.encoder_channels) > 8192 or len(self.encoder_channels) > 16:
            raise ValueError("encoder_channels: at most 16 stages of at most 8,192 channels")
        if self.image_size < 2 ** len(self.encoder_channels):
            raise ValueError(f"image_size {self.image_size} is too small for "
                             f"{len(self.encoder_channels)} stride-2 stages")
        for name in ("projection_dropout", "output_dropout"):
            if not 0 <= getattr(self, name) < 1:
                raise ValueError(f"{name} must be in [0, 1)")

    @property
    def grid_size(self) -> int:
        """G: the encoder's grid is G x G cells (P = G * G positions)."""
        return CNNEncoder.grid_side(self.image_size, len(self.encoder_channels))


class TeacherForced(NamedTuple):
    """What teacher-forced scoring gives: logits (B, T, V); attention (B, T, P), the weights
    each step gave the grid while choosing its token; cells (B, P, V), the cell head's logits of
    the token drawn in each cell (None without the head)."""

    logits: Tensor
    attention: Tensor
    cells: Tensor | None


class GridMemory(NamedTuple):
    """features (B, P, D): projected grid; keys (B, P, A): additive attention's W1 features
    (the features themselves for other kinds)."""

    features: Tensor
    keys: Tensor


class Img2Seq(nn.Module):
    def __init__(self, vocab_size: int, config: Img2SeqConfig) -> None:
        super().__init__()
        self.config = config
        self.encoder = CNNEncoder(config.encoder_channels, config.blocks_per_stage)
        positions = config.grid_size ** 2
        self.projection = nn.Sequential(
            nn.Linear(self.encoder.output_size, config.projection_size), nn.ReLU(),
            nn.Dropout(config.projection_dropout))
        self.position_embedding = nn.Parameter(torch.zeros(positions, config.projection_size))
        self.embedding = nn.Embedding(vocab_size, config.embedding_size)
        self.attention = build_attention(config.attention, config.hidden_size,
                                         config.projection_size, config.attention_units)
        cell = nn.GRUCell if config.rnn == "gru" else nn.LSTMCell
        self.cell = cell(config.embedding_size + config.projection_size, config.hidden_size)
        self.initial_hidden = nn.Linear(config.projection_size, config.hidden_size)
        self.fc1 = nn.Linear(config.hidden_size, config.output_size)
        self.output_dropout = nn.Dropout(config.output_dropout)
        self.fc2 = nn.Linear(config.output_size, vocab_size)
        self.cell_head = nn.Linear(self.encoder.output_size, vocab_size) \
            if config.cell_head else None
        # Settled here, not at each step: additive attention projects the grid's keys once per
        # image (`GridMemory.keys`), so a step projects only its query; the other kinds attend
        # over the features as they are. A GRU's state is (h,), an LSTM's (h, c).
        additive = isinstance(self.attention, AdditiveAttention)
        self.grid_keys: Callable[[Tensor], Tensor] = \
            self._additive_keys if additive else _features_as_keys
        self.attend: Callable[[Tensor, GridMemory], tuple[Tensor, Tensor]] = \
            self._attend_precomputed if additive else self._attend_features
        self.run_cell: Callable[[Tensor, State], State] = \
            self._gru_cell if config.rnn == "gru" else self._lstm_cell

    @property
    def positions(self) -> int:
        return self.position_embedding.shape[0]

    def encode(self, source: Tensor, source_lengths: Tensor | None = None) -> GridMemory:
        """source: images (B, S, S); source_lengths is ignored (every image has P positions)."""
        return self.memory(self.encoder(source))

    def memory(self, grid: Tensor) -> GridMemory:
        """CNN features (B, P, C) -> the grid the decoder attends over."""
        features = self.projection(grid) + self.position_embedding
        return GridMemory(features, self.grid_keys(features))

    def cell_scores(self, grid: Tensor) -> Tensor | None:
        """CNN features (B, P, C) -> the cell head's logits (B, P, V), or None without it."""
        return None if self.cell_head is None else self.cell_head(grid)

    def initial_state(self, memory: GridMemory) -> State:
        """h0 = tanh(W mean(features)) (Show, Attend and Tell); c0 = 0 for an LSTM."""
        hidden = torch.tanh(self.initial_hidden(memory.features.mean(dim=1)))
        return (hidden,) if self.config.rnn == "gru" else (hidden, torch.zeros_like(hidden))

    def _additive_keys(self, features: Tensor) -> Tensor:
        """features (B, P, D) -> W1 k (B, P, A)."""
        return self.attention.key_layer(features)

    def _attend_precomputed(self, query: Tensor, memory: GridMemory) -> tuple[Tensor, Tensor]:
        """`attend` for additive attention: query (B, H) -> context (B, D), weights (B, P),
        reusing the precomputed keys (tested equal to calling the attention module)."""
        scores = tanh_scores(self.attention.query_layer(query).unsqueeze(1), memory.keys,
                             self.attention.energy_layer).squeeze(1)  # (B, P)
        weights = masked_softmax(scores, None)
        return (weights.unsqueeze(1) @ memory.features).squeeze(1), weights

    def _attend_features(self, query: Tensor, memory: GridMemory) -> tuple[Tensor, Tensor]:
        """`attend` for the other kinds: query (B, H) -> context (B, D), weights (B, P)."""
        return self.attention(query, memory.features)

    def _gru_cell(self, inputs: Tensor, state: State) -> State:
        return (self.cell(inputs, state[0]),)

    def _lstm_cell(self, inputs: Tensor, state: State) -> State:
        return tuple(self.cell(inputs, state))

    def step(self, embedded: Tensor, state: State, memory: GridMemory) -> \
            tuple[Tensor, State, Tensor]:
        """embedded (B, E) -> new hidden (B, H), state, weights (B, P)."""
        context, weights = self.attend(state[0], memory)
        new_state = self.run_cell(torch.cat([context, embedded], dim=-1), state)
        return new_state[0], new_state, weights

    def scores(self, hidden: Tensor) -> Tensor:
        """hidden (..., H) -> logits (..., V): fc1 -> dropout -> fc2, as the seed."""
        return self.fc2(self.output_dropout(self.fc1(hidden)))

    def forward(self, images: Tensor, target_in: Tensor) -> TeacherForced:
        """images (B, S, S), target_in (B, T) starting with `<` -> logits (B, T, V), attention
        (B, T, P) and cell logits (B, P, V) or None."""
        B, T = target_in.shape
        grid = self.encoder(images)
        memory = self.memory(grid)
        state = self.initial_state(memory)
        embedded = self.embedding(target_in)
        hidden, attention = [], []
        for t in range(T):
            output, state, weights = self.step(embedded[:, t], state, memory)
            hidden.append(output)
            attention.append(weights)
        return TeacherForced(self.scores(torch.stack(hidden, dim=1)),
                             torch.stack(attention, dim=1), self.cell_scores(grid))

    def decode_step(self, tokens: Tensor, state: State,
                    memory: GridMemory) -> tuple[Tensor, State, Tensor]:
        """tokens (B,) -> log_probs (B, V), new state, weights (B, P)."""
        output, state, weights = self.step(self.embedding(tokens), state, memory)
        return torch.log_softmax(self.scores(output).float(), dim=-1), state, weights

    def select_state(self, state: State, indices: Tensor) -> State:
        return tuple(part.index_select(0, indices) for part in state)

    def select_memory(self, memory: GridMemory, indices: Tensor) -> GridMemory:
        return GridMemory(*(part.index_select(0, indices) for part in memory))


def _features_as_keys(features: Tensor) -> Tensor:
    return features
