"""Dot-product attention of the NumPy engine (the book's chapter 8), masked, returning
(context, weights) like every attnkit attention. Keys double as values, as in the book.

`DotAttention` is one decoder step (AttentionWeight then WeightSum); `StepwiseTimeAttention`
loops it over the steps and is the readable reference; `TimeAttention` does all steps with
batched matrix products and is tested equal to the reference.
"""

from __future__ import annotations

import numpy as np

from attnkit.numpy_ref.activations import mask_scores, softmax


class AttentionWeight:
    """Dot scores and a masked softmax: query (B, H), keys (B, S, H), mask (B, S) | None
    -> weights (B, S), exactly 0 where mask is False."""

    def __init__(self) -> None:
        self.params: list[np.ndarray] = []
        self.grads: list[np.ndarray] = []
        self.cache: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    def forward(self, query: np.ndarray, keys: np.ndarray,
                mask: np.ndarray | None = None) -> np.ndarray:
        B, S, H = keys.shape
        scores = (keys * query[:, None, :]).sum(axis=2)
        weights = softmax(mask_scores(scores, mask))
        self.cache = (query, keys, weights)
        return weights

    def backward(self, dweights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """dweights (B, S) -> dquery (B, H), dkeys (B, S, H)."""
        query, keys, weights = self.cache
        weighted = dweights * weights
        dscores = weighted - weights * weighted.sum(axis=1, keepdims=True)
        dquery = (keys * dscores[:, :, None]).sum(axis=1)
        dkeys = dscores[:, :, None] * query[:, None, :]
        return dquery, dkeys


class WeightSum:
    """Weighted sum of the values: weights (B, S), values (B, S, H) -> context (B, H)."""

    def __init__(self) -> None:
        self.params: list[np.ndarray] = []
        self.grads: list[np.ndarray] = []
        self.cache: tuple[np.ndarray, np.ndarray] | None = None

    def forward(self, weights: np.ndarray, values: np.ndarray) -> np.ndarray:
        self.cache = (weights, values)
        return (values * weights[:, :, None]).sum(axis=1)

    def backward(self, dcontext: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """dcontext (B, H) -> dweights (B, S), dvalues (B, S, H)."""
        weights, values = self.cache
        dweights = (values * dcontext[:, None, :]).sum(axis=2)
        dvalues = weights[:, :, None] * dcontext[:, None, :]
        return dweights, dvalues


class DotAttention:
    """One step: query (B, H), keys (B, S, H), mask (B, S) | None
    -> context (B, H), weights (B, S). The maths of the torch `attnkit.layers.DotAttention`
    with values = keys (tested equal in `tests/numpy_ref/test_torch_parity.py`)."""

    def __init__(self) -> None:
        self.params: list[np.ndarray] = []
        self.grads: list[np.ndarray] = []
        self.weight_layer = AttentionWeight()
        self.sum_layer = WeightSum()

    def forward(self, query: np.ndarray, keys: np.ndarray,
                mask: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        weights = self.weight_layer.forward(query, keys, mask)
        return self.sum_layer.forward(weights, keys), weights

    def backward(self, dcontext: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """dcontext (B, H) -> dquery (B, H), dkeys (B, S, H)."""
        dweights, dkeys = self.sum_layer.backward(dcontext)
        dquery, dkeys_from_scores = self.weight_layer.backward(dweights)
        return dquery, dkeys + dkeys_from_scores


class StepwiseTimeAttention:
    """The readable reference: one `DotAttention` per decoder step.
    queries (B, T, H), keys (B, S, H), mask (B, S) | None -> context (B, T, H), weights (B, T, S).
    """

    def __init__(self) -> None:
        self.params: list[np.ndarray] = []
        self.grads: list[np.ndarray] = []
        self.layers: list[DotAttention] = []

    def forward(self, queries: np.ndarray, keys: np.ndarray,
                mask: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        B, T, H = queries.shape
        self.layers = [DotAttention() for _ in range(T)]
        steps = [layer.forward(queries[:, t], keys, mask) for t, layer in enumerate(self.layers)]
        context = np.stack([step[0] for step in steps], axis=1)
        return context, np.stack([step[1] for step in steps], axis=1)

    def backward(self, dcontext: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """dcontext (B, T, H) -> dqueries (B, T, H), dkeys (B, S, H)."""
        dqueries = np.empty_like(dcontext)
        dkeys = 0.0
        for t, layer in enumerate(self.layers):
            dqueries[:, t], dkeys_step = layer.backward(dcontext[:, t])
            dkeys = dkeys + dkeys_step
        return dqueries, dkeys


class TimeAttention:
    """All decoder steps at once with batched matrix products.
    queries (B, T, H), keys (B, S, H), mask (B, S) | None -> context (B, T, H), weights (B, T, S).
    """

    def __init__(self) -> None:
        self.params: list[np.ndarray] = []
        self.grads: list[np.ndarray] = []
        self.cache: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    def forward(self, queries: np.ndarray, keys: np.ndarray,
                mask: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        B, S, H = keys.shape
        scores = queries @ keys.transpose(0, 2, 1)
        weights = softmax(mask_scores(scores, None if mask is None else mask[:, None, :]))
        self.cache = (queries, keys, weights)
        return weights @ keys, weights

    def backward(self, dcontext: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """dcontext (B, T, H) -> dqueries (B, T, H), dkeys (B, S, H)."""
        queries, keys, weights = self.cache
        dweights = dcontext @ keys.transpose(0, 2, 1)
        weighted = dweights * weights
        dscores = weighted - weights * weighted.sum(axis=2, keepdims=True)
        dqueries = dscores @ keys
        dkeys = weights.transpose(0, 2, 1) @ dcontext + dscores.transpose(0, 2, 1) @ queries
        return dqueries, dkeys
