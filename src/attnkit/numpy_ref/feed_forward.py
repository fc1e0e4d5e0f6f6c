"""The position-wise feed-forward layer of the NumPy Transformer (`layers.feed_forward`)."""

from __future__ import annotations

import numpy as np
from numpy.typing import DTypeLike

from attnkit.numpy_ref.initializers import affine_weights, nested_params
from attnkit.numpy_ref.linear import Linear
from attnkit.numpy_ref.seq2seq import NamedParameters


class PositionwiseFeedForward(NamedParameters):
    """x (B, T, E) -> Linear(E, F) -> ReLU -> Linear(F, E) -> (B, T, E)."""

    def __init__(self, size: int, inner_size: int, rng: np.random.Generator,
                 dtype: DTypeLike = np.float32) -> None:
        self.inner = Linear(*affine_weights(rng, size, inner_size, dtype))
        self.outer = Linear(*affine_weights(rng, inner_size, size, dtype))
        self.named = nested_params({"inner": self.inner, "outer": self.outer})
        self.active: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        hidden = self.inner.forward(x)
        self.active = hidden > 0
        return self.outer.forward(hidden * self.active)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return self.inner.backward(self.outer.backward(dout) * self.active)
