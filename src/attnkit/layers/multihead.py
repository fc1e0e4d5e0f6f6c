"""Multi-head attention (Vaswani et al., 2017) with the `(context, weights)` contract."""

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
        B, T, _ = query.shape
        head_mask = None if mask is None else mask[:, None, None, :]  # (B, 1, 1, S)
        head_context, weights = self.attention_function(
            self.split_heads(self.query_layer(query)),
            self.split_heads(self.key_layer(keys)),
            self.split_heads(self.value_layer(values)),
            head_mask,
        )  # (B, heads, T, A / heads), (B, heads, T, S)
        context = self.output_layer(head_context.transpose(1, 2).reshape(B, T, -1))
        if mask is not None:  # no key to attend to: context 0 (not the output bias), as elsewhere
            context = context.masked_fill(~mask.any(dim=-1)[:, None, None], 0.0)
        if self.average_heads:
            weights = weights.mean(dim=1)
        return context, weights

    def split_heads(self, projected: Tensor) -> Tensor:
        """projected (B, L, A) -> (B, heads, L, A / heads)."""
        B, L, A = projected.shape
        return projected.view(B, L, self.num_heads, A // self.num_heads).transpose(1, 2)

    def extra_repr(self) -> str:
        return f"num_heads={self.num_heads}, average_heads={self.average_heads}, fused={self.fused}"
