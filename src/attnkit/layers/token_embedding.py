"""Token embedding of a Transformer: a table scaled by sqrt(E), plus sinusoidal positions."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from attnkit.layers.positions import SinusoidalPositions


class TokenEmbedding(nn.Module):
    """tokens (B, T) -> dropout(weight[tokens] * sqrt(E) + positions) (B, T, E).

    `weight` (V, E) starts as N(0, 1/E), so that scaled by sqrt(E) the vectors have unit
    variance, like the positions, and the same table can score the vocabulary (tied output
    layer) without large logits. `start` is the position of the first token (incremental
    decoding passes the number of tokens already decoded).
    """

    def __init__(self, vocab_size: int, size: int, max_positions: int,
                 dropout: float = 0.0) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(vocab_size, size) * size**-0.5)
        self.scale = math.sqrt(size)
        self.positions = SinusoidalPositions(size, max_positions)
        self.dropout = nn.Dropout(dropout)

    def forward(self, tokens: Tensor, start: int = 0) -> Tensor:
        B, T = tokens.shape
        embedded = F.embedding(tokens, self.weight) * self.scale
        positions = self.positions(T, start, embedded.dtype, embedded.device)
        return self.dropout(embedded + positions)
