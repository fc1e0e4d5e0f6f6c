"""Initial weights as in the book: small normal embeddings, Xavier-scaled matrices, zero biases,
and the naming that lets models list their parameters."""

from __future__ import annotations

import numpy as np


def embedding_weight(rng: np.random.Generator, V: int, E: int, dtype) -> np.ndarray:
    """(V, E) with standard deviation 0.01."""
    return (rng.standard_normal((V, E)) / 100).astype(dtype)


def affine_weights(rng: np.random.Generator, D: int, K: int, dtype) -> tuple[np.ndarray, ...]:
    """W (D, K) with standard deviation 1/sqrt(D), b (K,) zeros."""
    return (rng.standard_normal((D, K)) / np.sqrt(D)).astype(dtype), np.zeros(K, dtype=dtype)


def lstm_weights(rng: np.random.Generator, D: int, H: int, dtype) -> tuple[np.ndarray, ...]:
    """Wx (D, 4H), Wh (H, 4H), b (4H,) zeros."""
    Wx = (rng.standard_normal((D, 4 * H)) / np.sqrt(D)).astype(dtype)
    Wh = (rng.standard_normal((H, 4 * H)) / np.sqrt(H)).astype(dtype)
    return Wx, Wh, np.zeros(4 * H, dtype=dtype)


PARAM_NAMES = {
    "Embedding": ("weight",),
    "Affine": ("W", "b"),
    "TimeAffine": ("W", "b"),
    "LSTM": ("Wx", "Wh", "b"),
    "TimeLSTM": ("Wx", "Wh", "b"),
}


def named_params(prefix: str, layers: dict) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """{"<prefix>.<layer>.<param>": (param, grad)} for layers given as {name: layer}."""
    named = {}
    for layer_name, layer in layers.items():
        names = PARAM_NAMES[type(layer).__name__]
        for name, param, grad in zip(names, layer.params, layer.grads, strict=True):
            named[f"{prefix}.{layer_name}.{name}"] = (param, grad)
    return named
