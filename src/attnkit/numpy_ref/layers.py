"""Feed-forward layers of the NumPy engine: each holds `params` and `grads` (same shapes, the
grads overwritten by every `backward`) and implements `forward` and `backward` by hand."""

from __future__ import annotations

import numpy as np

from attnkit.numpy_ref.activations import softmax


class Embedding:
    """Row lookup. weight (V, E); ids of any shape (...) -> vectors (..., E)."""

    def __init__(self, weight: np.ndarray) -> None:
        self.params = [weight]
        self.grads = [np.zeros_like(weight)]
        self.ids: np.ndarray | None = None

    def forward(self, ids: np.ndarray) -> np.ndarray:
        self.ids = ids
        return self.params[0][ids]

    def backward(self, dout: np.ndarray) -> None:
        """Sums the rows of dout per id with a sorted segment sum (np.add.at is slow)."""
        (weight_grad,) = self.grads
        weight_grad[...] = 0
        ids = self.ids.reshape(-1)
        rows = dout.reshape(len(ids), -1)
        order = np.argsort(ids, kind="stable")
        sorted_ids = ids[order]
        starts = np.flatnonzero(np.r_[True, sorted_ids[1:] != sorted_ids[:-1]])
        weight_grad[sorted_ids[starts]] = np.add.reduceat(rows[order], starts, axis=0)


class Affine:
    """x (N, D) @ W (D, K) + b (K,) -> (N, K)."""

    def __init__(self, weight: np.ndarray, bias: np.ndarray) -> None:
        self.params = [weight, bias]
        self.grads = [np.zeros_like(weight), np.zeros_like(bias)]
        self.x: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        weight, bias = self.params
        self.x = x
        return x @ weight + bias

    def backward(self, dout: np.ndarray) -> np.ndarray:
        weight, _ = self.params
        self.grads[0][...] = self.x.T @ dout
        self.grads[1][...] = dout.sum(axis=0)
        return dout @ weight.T


class TimeAffine:
    """The same affine map at every step: x (B, T, D) -> (B, T, K), as one matrix product."""

    def __init__(self, weight: np.ndarray, bias: np.ndarray) -> None:
        self.params = [weight, bias]
        self.grads = [np.zeros_like(weight), np.zeros_like(bias)]
        self.x: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        B, T, D = x.shape
        weight, bias = self.params
        self.x = x
        return (x.reshape(B * T, D) @ weight + bias).reshape(B, T, -1)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        B, T, K = dout.shape
        weight, _ = self.params
        flat_dout = dout.reshape(B * T, K)
        self.grads[0][...] = self.x.reshape(B * T, -1).T @ flat_dout
        self.grads[1][...] = flat_dout.sum(axis=0)
        return (flat_dout @ weight.T).reshape(B, T, -1)


class Softmax:
    """Softmax over the last axis: scores (..., K) -> probabilities (..., K)."""

    def __init__(self) -> None:
        self.params: list[np.ndarray] = []
        self.grads: list[np.ndarray] = []
        self.out: np.ndarray | None = None

    def forward(self, scores: np.ndarray) -> np.ndarray:
        self.out = softmax(scores)
        return self.out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        weighted = dout * self.out
        return weighted - self.out * weighted.sum(axis=-1, keepdims=True)


class TimeSoftmaxWithLoss:
    """Mean cross-entropy over the non-padding targets, like torch's `ignore_index`.

    logits (B, T, V), targets (B, T) int with `pad_id` at padding -> scalar loss.
    """

    def __init__(self, pad_id: int = 0) -> None:
        self.params: list[np.ndarray] = []
        self.grads: list[np.ndarray] = []
        self.pad_id = pad_id
        self.cache: tuple[np.ndarray, np.ndarray, np.ndarray, tuple[int, ...]] | None = None

    def forward(self, logits: np.ndarray, targets: np.ndarray) -> float:
        B, T, V = logits.shape
        probs = softmax(logits.reshape(B * T, V))
        flat_targets = targets.reshape(B * T)
        keep = flat_targets != self.pad_id
        count = max(int(keep.sum()), 1)
        picked = probs[np.arange(B * T), flat_targets]
        loss = -np.log(np.maximum(picked[keep], np.finfo(probs.dtype).tiny)).sum() / count
        self.cache = (probs, flat_targets, keep, logits.shape)
        return float(loss)

    def backward(self, dout: float = 1.0) -> np.ndarray:
        """-> dlogits (B, T, V), zero at padding."""
        probs, flat_targets, keep, shape = self.cache
        dlogits = probs.copy()
        dlogits[np.arange(len(flat_targets)), flat_targets] -= 1.0
        dlogits *= (keep * (dout / max(int(keep.sum()), 1)))[:, None].astype(dlogits.dtype)
        return dlogits.reshape(shape)
