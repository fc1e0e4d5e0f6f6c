"""Multi-head attention (Vaswani et al., 2017) with the `(context, weights)` contract."""

import torch
from torch import Tensor, nn

from attnkit.errors import AttnkitError
from attnkit.layers.attention import Attention
from attnkit.layers.scaled_dot import fused_scaled_dot_product, scaled_dot_product


class MultiHeadAttention(Attention):
    """Project queries, keys and values into `num_heads` heads of `units // num_heads`
    dimensions, run scaled dot-product attention in each, concatenate, project back.

    The context has the size of the values (`value_size`, default `key_size`), like every other
    attention here, so attention kinds are interchangeable in a model.

    Weights: with `average_heads=True` (default) they are the mean over heads, (B, S) | (B, T, S),
    still probabilities over the keys. With `average_heads=False` they are per head,
    (B, heads, S) | (B, heads, T, S), e.g. for plotting each head.

    `fused=True` runs each head with `F.scaled_dot_product_attention` (see
    `fused_scaled_dot_product`: the returned weights are then detached from autograd).

    `causal=True` (a decoder's self-attention): the T queries are the last T of the S key
    positions, and query i attends only keys j <= i + S - T, so a full pass (T = S) sees no
    future position and an incremental step (T = 1, keys = all positions so far) sees them all.
    The causal and the key mask meet in the one masked softmax.

    For incremental decoding the keys and values can be projected once (`project_keys_values`)
    and attended with `attend_projected`; `attend` is exactly those two calls.

    The key projection has no bias: it would add q^T b_k, the same for every key, which the
    softmax cancels, so it would never receive a gradient.
    """

    def __init__(
        self,
        query_size: int,
        key_size: int,
        num_heads: int,
        units: int,
        value_size: int | None = None,
        average_heads: bool = True,
        fused: bool = False,
        causal: bool = False,
    ) -> None:
        super().__init__()
        if num_heads < 1 or units % num_heads != 0:
            raise AttnkitError(
                f"multi-head attention needs units divisible by num_heads, got units={units} and "
                f"num_heads={num_heads}"
            )
        value_size = key_size if value_size is None else value_size
        self.num_heads = num_heads
        self.average_heads = average_heads
        self.fused = fused
        self.causal = causal
        self.attention_function = fused_scaled_dot_product if fused else scaled_dot_product
        self.query_layer = nn.Linear(query_size, units)
        self.key_layer = nn.Linear(key_size, units, bias=False)
        self.value_layer = nn.Linear(value_size, units)
        self.output_layer = nn.Linear(units, value_size)

    def attend(
        self, query: Tensor, keys: Tensor, values: Tensor, mask: Tensor | None
    ) -> tuple[Tensor, Tensor]:
        """query (B, T, H), keys (B, S, K), values (B, S, Dv), mask (B, S) | None
        -> context (B, T, Dv), weights (B, T, S) averaged | (B, heads, T, S) per head."""
        return self.attend_projected(query, *self.project_keys_values(keys, values), mask)

    def project_keys_values(self, keys: Tensor, values: Tensor) -> tuple[Tensor, Tensor]:
        """keys (B, S, K), values (B, S, Dv) -> per-head keys and values, each
        (B, heads, S, A / heads)."""
        return self.split_heads(self.key_layer(keys)), self.split_heads(self.value_layer(values))

    def attend_projected(
        self, query: Tensor, head_keys: Tensor, head_values: Tensor, mask: Tensor | None
    ) -> tuple[Tensor, Tensor]:
        """query (B, T, H), head_keys and head_values (B, heads, S, A / heads) from
        `project_keys_values`, mask (B, S) | None -> context (B, T, Dv), weights as `attend`."""
        B, T, _ = query.shape
        head_context, weights = self.attention_function(
            self.split_heads(self.query_layer(query)), head_keys, head_values,
            self.head_mask(mask, T, head_keys.shape[2], query.device),
        )  # (B, heads, T, A / heads), (B, heads, T, S)
        context = self.output_layer(head_context.transpose(1, 2).reshape(B, T, -1))
        if mask is not None:  # no key to attend to: context 0 (not the output bias), as elsewhere
            context = context.masked_fill(~mask.any(dim=-1)[:, None, None], 0.0)
        if self.average_heads:
            weights = weights.mean(dim=1)
        return context, weights

    def head_mask(self, mask: Tensor | None, T: int, S: int,
                  device: torch.device) -> Tensor | None:
        """The key mask (B, S) and, when causal, the causal mask (T, S), as one mask
        broadcastable to the scores (B, heads, T, S); None when nothing is masked."""
        key_mask = None if mask is None else mask[:, None, None, :]  # (B, 1, 1, S)
        if not self.causal:
            return key_mask
        queries = torch.arange(T, device=device).unsqueeze(1) + (S - T)
        causal = torch.arange(S, device=device).unsqueeze(0) <= queries  # (T, S)
        return causal if key_mask is None else key_mask & causal

    def split_heads(self, projected: Tensor) -> Tensor:
        """projected (B, L, A) -> (B, heads, L, A / heads)."""
        B, L, A = projected.shape
        return projected.view(B, L, self.num_heads, A // self.num_heads).transpose(1, 2)

    def extra_repr(self) -> str:
        return (f"num_heads={self.num_heads}, average_heads={self.average_heads}, "
                f"fused={self.fused}, causal={self.causal}")
