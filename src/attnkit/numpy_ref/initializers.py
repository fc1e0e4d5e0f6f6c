"""Initial weights drawn from PyTorch's default distributions, so that both engines start alike
(the book's tiny embeddings, std 0.01, leave a long loss plateau at the start of training on the
date task), and the naming that lets models list their parameters."""

from __future__ import annotations

import numpy as np
from numpy.typing import DTypeLike


def uniform(rng: np.random.Generator, bound: float, shape: tuple[int, ...],
            dtype: DTypeLike) -> np.ndarray:
    return rng.uniform(-bound, bound, shape).astype(dtype)


def embedding_weight(rng: np.random.Generator, V: int, E: int, dtype: DTypeLike) -> np.ndarray:
    """(V, E) standard normal, as nn.Embedding."""
    return rng.standard_normal((V, E)).astype(dtype)


def affine_weights(rng: np.random.Generator, D: int, K: int,
                   dtype: DTypeLike) -> tuple[np.ndarray, ...]:
    """W (D, K) and b (K,) uniform in +-1/sqrt(D), as nn.Linear."""
    return uniform(rng, D**-0.5, (D, K), dtype), uniform(rng, D**-0.5, (K,), dtype)


def lstm_weights(rng: np.random.Generator, D: int, H: int,
                 dtype: DTypeLike) -> tuple[np.ndarray, ...]:
    """Wx (D, 4H), Wh (H, 4H), bx (4H,), bh (4H,) uniform in +-1/sqrt(H), as nn.LSTM."""
    bound = H**-0.5
    return (uniform(rng, bound, (D, 4 * H), dtype), uniform(rng, bound, (H, 4 * H), dtype),
            uniform(rng, bound, (4 * H,), dtype), uniform(rng, bound, (4 * H,), dtype))


PARAM_NAMES = {
    "Embedding": ("weight",),
    "Affine": ("W", "b"),
    "TimeAffine": ("W", "b"),
    "LSTM": ("Wx", "Wh", "bx", "bh"),
    "TimeLSTM": ("Wx", "Wh", "bx", "bh"),
}


def named_params(prefix: str, layers: dict) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """{"<prefix>.<layer>.<param>": (param, grad)} for layers given as {name: layer}."""
    named = {}
    for layer_name, layer in layers.items():
        names = PARAM_NAMES[type(layer).__name__]
        for name, param, grad in zip(names, layer.params, layer.grads, strict=True):
            named[f"{prefix}.{layer_name}.{name}"] = (param, grad)
    return named


def nested_params(layers: dict) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """{"<layer>.<param>": (param, grad)} for layers given as {name: layer}: a layer with a
    `named` dict contributes its names under its own; any other names its params by its
    `param_names` or, for the book's layers, by `PARAM_NAMES`."""
    named = {}
    for layer_name, layer in layers.items():
        if hasattr(layer, "named"):
            inner = layer.named
        else:
            names = getattr(layer, "param_names", None) or PARAM_NAMES[type(layer).__name__]
            inner = {name: (param, grad)
                     for name, param, grad in zip(names, layer.params, layer.grads, strict=True)}
        named.update({f"{layer_name}.{name}": pair for name, pair in inner.items()})
    return named
