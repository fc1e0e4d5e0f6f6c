"""Sinusoidal positions and the token embedding of the NumPy Transformer
(`layers.positions`, `layers.token_embedding`)."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import DTypeLike

from attnkit.errors import AttnkitError
from attnkit.numpy_ref.layers import Embedding


def sinusoidal_positions(start: int, length: int, size: int,
                         dtype: DTypeLike = np.float32) -> np.ndarray:
    """-> (length, size): column 2i sin(p / 10000^(2i/E)), column 2i+1 cos(...), for positions
    p = start, ..., start + length - 1."""
    positions = np.arange(start, start + length, dtype=dtype)[:, None]
    rates = np.exp(np.arange(0, size, 2, dtype=dtype) * (-math.log(10000.0) / size))
    angles = positions * rates
    return np.stack([np.sin(angles), np.cos(angles)], axis=-1).reshape(length, -1)[:, :size]


class TokenEmbedding:
    """ids (B, T) -> weight[ids] * sqrt(E) + positions (B, T, E); weight (V, E)."""

    param_names = ("weight",)

    def __init__(self, weight: np.ndarray, max_positions: int) -> None:
        self.embedding = Embedding(weight)
        self.params, self.grads = self.embedding.params, self.embedding.grads
        self.scale = math.sqrt(weight.shape[1])
        self.max_positions = max_positions

    def forward(self, ids: np.ndarray, start: int = 0) -> np.ndarray:
        B, T = ids.shape
        if start + T > self.max_positions:
            raise AttnkitError(f"a sequence of {start + T} positions is longer than this "
                               f"model's max_positions={self.max_positions}")
        weight = self.params[0]
        positions = sinusoidal_positions(start, T, weight.shape[1], weight.dtype)
        return self.embedding.forward(ids) * self.scale + positions

    def backward(self, dout: np.ndarray) -> None:
        self.embedding.backward(dout * self.scale)


def embedding_table(rng: np.random.Generator, V: int, E: int, dtype: DTypeLike) -> np.ndarray:
    """(V, E) from N(0, 1/E), as `layers.token_embedding.TokenEmbedding` starts."""
    return (rng.standard_normal((V, E)) * E**-0.5).astype(dtype)
