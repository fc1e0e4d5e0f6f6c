"""Multi-head attention of the NumPy engine, the maths of `attnkit.layers.MultiHeadAttention`:
project queries, keys and values into heads, softmax(q k^T / sqrt(d)) v in each, concatenate,
project back. Masks are boolean (True = attend) and become -inf scores in `mask_scores` only.
Every query must have a key to attend to (sources are never empty)."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import DTypeLike

from attnkit.numpy_ref.activations import mask_scores, softmax
from attnkit.numpy_ref.initializers import affine_weights, nested_params
from attnkit.numpy_ref.linear import Linear
from attnkit.numpy_ref.seq2seq import NamedParameters


class MultiHeadAttention(NamedParameters):
    """query (B, T, H), keys (B, S, K), values (B, S, K), mask (B, S) | None -> context
    (B, T, K), weights (B, heads, T, S). The key projection has no bias (as in torch).
    `causal`: query i is position i + S - T and attends only keys j <= i + S - T."""

    def __init__(self, query_size: int, key_size: int, num_heads: int, units: int,
                 rng: np.random.Generator, dtype: DTypeLike = np.float32,
                 causal: bool = False) -> None:
        self.num_heads, self.causal = num_heads, causal
        self.query_layer = Linear(*affine_weights(rng, query_size, units, dtype))
        self.key_layer = Linear(affine_weights(rng, key_size, units, dtype)[0])
        self.value_layer = Linear(*affine_weights(rng, key_size, units, dtype))
        self.output_layer = Linear(*affine_weights(rng, units, key_size, dtype))
        self.named = nested_params({"query_layer": self.query_layer, "key_layer": self.key_layer,
                                    "value_layer": self.value_layer,
                                    "output_layer": self.output_layer})
        self.cache: tuple[np.ndarray, ...] | None = None

    def forward(self, query: np.ndarray, keys: np.ndarray, values: np.ndarray,
                mask: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        B, T, _ = query.shape
        S = keys.shape[1]
        q = self.split_heads(self.query_layer.forward(query))
        k = self.split_heads(self.key_layer.forward(keys))
        v = self.split_heads(self.value_layer.forward(values))
        root = math.sqrt(q.shape[-1])  # a Python float: keeps float32 arrays float32
        scores = (q @ k.transpose(0, 1, 3, 2)) / root
        weights = softmax(mask_scores(scores, self.head_mask(mask, T, S)))
        self.cache = (q, k, v, weights, root)
        return self.output_layer.forward(self.merge_heads(weights @ v)), weights

    def backward(self, dcontext: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """dcontext (B, T, K) -> dquery (B, T, H), dkeys (B, S, K), dvalues (B, S, K)."""
        q, k, v, weights, root = self.cache
        dheads = self.split_heads(self.output_layer.backward(dcontext))  # (B, heads, T, d)
        dweights = dheads @ v.transpose(0, 1, 3, 2)
        dv = weights.transpose(0, 1, 3, 2) @ dheads
        weighted = dweights * weights
        dscores = (weighted - weights * weighted.sum(axis=-1, keepdims=True)) / root
        dq = dscores @ k
        dk = dscores.transpose(0, 1, 3, 2) @ q
        return (self.query_layer.backward(self.merge_heads(dq)),
                self.key_layer.backward(self.merge_heads(dk)),
                self.value_layer.backward(self.merge_heads(dv)))

    def head_mask(self, mask: np.ndarray | None, T: int, S: int) -> np.ndarray | None:
        """The key mask (B, S) and, when causal, the causal mask (T, S), broadcastable to the
        scores (B, heads, T, S)."""
        key_mask = None if mask is None else mask[:, None, None, :]
        if not self.causal:
            return key_mask
        causal = np.arange(S)[None, :] <= np.arange(T)[:, None] + (S - T)
        return causal if key_mask is None else key_mask & causal

    def split_heads(self, projected: np.ndarray) -> np.ndarray:
        """(B, L, A) -> (B, heads, L, A / heads)."""
        B, L, A = projected.shape
        return projected.reshape(B, L, self.num_heads, A // self.num_heads).transpose(0, 2, 1, 3)

    def merge_heads(self, heads: np.ndarray) -> np.ndarray:
        """(B, heads, L, d) -> (B, L, heads * d)."""
        B, _, L, _ = heads.shape
        return heads.transpose(0, 2, 1, 3).reshape(B, L, -1)
