"""Linear layers of the NumPy Transformer over vectors of any leading shape, and LayerNorm."""

from __future__ import annotations

import numpy as np


class Linear:
    """x (..., D) @ W (D, K) [+ b (K,)] -> (..., K): torch's nn.Linear with the book's layout of
    W (the transpose of torch's weight). Without a bias when `bias` is None."""

    def __init__(self, weight: np.ndarray, bias: np.ndarray | None = None) -> None:
        self.params = [weight] if bias is None else [weight, bias]
        self.grads = [np.zeros_like(param) for param in self.params]
        self.param_names = ("W", "b")[: len(self.params)]
        self.x: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        out = x @ self.params[0]
        if len(self.params) == 2:
            out += self.params[1]
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        D, K = self.params[0].shape
        flat_dout = dout.reshape(-1, K)
        self.grads[0][...] = self.x.reshape(-1, D).T @ flat_dout
        if len(self.params) == 2:
            self.grads[1][...] = flat_dout.sum(axis=0)
        return dout @ self.params[0].T


class LayerNorm:
    """x (..., E) -> gamma * (x - mean) / sqrt(var + eps) + beta over the last axis (biased
    variance, eps 1e-5: torch's nn.LayerNorm)."""

    param_names = ("gamma", "beta")

    def __init__(self, gamma: np.ndarray, beta: np.ndarray, eps: float = 1e-5) -> None:
        self.params = [gamma, beta]
        self.grads = [np.zeros_like(gamma), np.zeros_like(beta)]
        self.eps = eps
        self.cache: tuple[np.ndarray, np.ndarray] | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        gamma, beta = self.params
        centred = x - x.mean(axis=-1, keepdims=True)
        inverse_std = 1.0 / np.sqrt((centred * centred).mean(axis=-1, keepdims=True) + self.eps)
        normed = centred * inverse_std
        self.cache = (normed, inverse_std)
        return normed * gamma + beta

    def backward(self, dout: np.ndarray) -> np.ndarray:
        normed, inverse_std = self.cache
        E = normed.shape[-1]
        self.grads[0][...] = (dout * normed).reshape(-1, E).sum(axis=0)
        self.grads[1][...] = dout.reshape(-1, E).sum(axis=0)
        dnormed = dout * self.params[0]
        return inverse_std * (dnormed - dnormed.mean(axis=-1, keepdims=True)
                              - normed * (dnormed * normed).mean(axis=-1, keepdims=True))


def layer_norm(size: int, dtype: np.dtype) -> LayerNorm:
    """A LayerNorm as torch initialises one: gamma 1, beta 0."""
    return LayerNorm(np.ones(size, dtype=dtype), np.zeros(size, dtype=dtype))
