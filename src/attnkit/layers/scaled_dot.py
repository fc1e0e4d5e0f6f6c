"""Scaled dot-product attention: softmax(q k^T / sqrt(D)) v, readable and fused.

The readable path is the reference; the fused path takes the context from
`F.scaled_dot_product_attention` (the kernel PyTorch picks for the device: flash or
memory-efficient on CUDA) and is tested against it.
"""

import math

import torch
import torch.nn.functional as F
from torch import Tensor

from attnkit.layers.attention import Attention
from attnkit.layers.masks import masked_softmax


def scaled_dot_product(
    query: Tensor, keys: Tensor, values: Tensor, mask: Tensor | None
) -> tuple[Tensor, Tensor]:
    """The reference. query (..., T, D), keys (..., S, D), values (..., S, Dv),
    mask bool broadcastable to (..., T, S) | None -> context (..., T, Dv), weights (..., T, S)."""
    D = query.shape[-1]
    if keys.shape[-1] != D:
        raise ValueError(
            f"scaled dot attention needs query size == key size, got {D} and {keys.shape[-1]}"
        )
    scores = query @ keys.transpose(-2, -1) / math.sqrt(D)
    weights = masked_softmax(scores, mask)
    return weights @ values, weights


def fused_scaled_dot_product(
    query: Tensor, keys: Tensor, values: Tensor, mask: Tensor | None
) -> tuple[Tensor, Tensor]:
    """Same shapes and values as `scaled_dot_product`. The context and its gradients come from
    `F.scaled_dot_product_attention`; the weights are computed without autograd (for inspection
    and plots), so no (..., T, S) graph is kept for the backward pass. A loss on the weights
    therefore needs the readable path.
    """
    with torch.no_grad():
        _, weights = scaled_dot_product(query, keys, values, mask)
    if mask is None:
        return F.scaled_dot_product_attention(query, keys, values), weights
    # A row with no key to attend to gives NaN in some kernels and PyTorch versions: let such
    # rows attend everywhere, then zero their context, as the readable path does.
    has_any = mask.any(dim=-1, keepdim=True)
    context = F.scaled_dot_product_attention(query, keys, values, attn_mask=mask | ~has_any)
    return context.masked_fill(~has_any, 0.0), weights


class ScaledDotAttention(Attention):
    """score(q, k) = q^T k / sqrt(D). No parameters; the query and key sizes must be equal.

    `fused=True` uses `fused_scaled_dot_product`: same context and weights, but the weights are
    detached from autograd.
    """

    def __init__(self, fused: bool = False) -> None:
        super().__init__()
        self.fused = fused
        self.attention_function = fused_scaled_dot_product if fused else scaled_dot_product

    def attend(
        self, query: Tensor, keys: Tensor, values: Tensor, mask: Tensor | None
    ) -> tuple[Tensor, Tensor]:
        """query (B, T, D), keys (B, S, D), values (B, S, Dv), mask (B, S) | None
        -> context (B, T, Dv), weights (B, T, S)."""
        return self.attention_function(
            query, keys, values, None if mask is None else mask.unsqueeze(1)
        )

    def extra_repr(self) -> str:
        return f"fused={self.fused}"
