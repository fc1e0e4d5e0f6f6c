"""Elementwise and row-wise functions shared by the NumPy layers."""

from __future__ import annotations

import numpy as np


def sigmoid(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Logistic function, computed through tanh so that large |x| neither overflows nor warns."""
    out = np.multiply(x, 0.5, out=out)
    np.tanh(out, out=out)
    out += 1.0
    out *= 0.5
    return out


def softmax(scores: np.ndarray) -> np.ndarray:
    """Softmax over the last axis; rows of -inf scores are not expected (one kept entry per row)."""
    shifted = scores - scores.max(axis=-1, keepdims=True)
    np.exp(shifted, out=shifted)
    shifted /= shifted.sum(axis=-1, keepdims=True)
    return shifted


def mask_scores(scores: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
    """The one place a boolean mask (True = attend) becomes -inf scores.

    scores (..., S), mask broadcastable to scores -> scores with -inf where mask is False,
    so that the softmax gives those positions a weight of exactly 0.
    """
    if mask is None:
        return scores
    return np.where(mask, scores, -np.inf).astype(scores.dtype, copy=False)
