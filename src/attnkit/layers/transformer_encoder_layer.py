"""A pre-norm Transformer encoder layer: self-attention then the feed-forward layer, each read
through a LayerNorm and added back to its input (residual), with dropout on what is added."""

from __future__ import annotations

from torch import Tensor, nn

from attnkit.errors import AttnkitError
from attnkit.layers.feed_forward import PositionwiseFeedForward
from attnkit.layers.multihead import MultiHeadAttention


def check_sizes(size: int, num_heads: int, inner_size: int, dropout: float) -> None:
    """The checks every Transformer layer makes of its sizes, as user errors."""
    if min(size, num_heads, inner_size) < 1:
        raise AttnkitError(f"Transformer sizes must be positive, got size={size}, "
                           f"heads={num_heads}, ff_size={inner_size}")
    if size % num_heads:
        raise AttnkitError(f"model size {size} is not divisible by {num_heads} heads")
    if not 0.0 <= dropout < 1.0:
        raise AttnkitError(f"dropout must be in [0, 1), got {dropout}")


class TransformerEncoderLayer(nn.Module):
    """x (B, S, E), mask (B, S) True = real token -> (B, S, E), weights (B, heads, S, S).

    h = x + dropout(SelfAttention(LN(x))); out = h + dropout(FFN(LN(h))). Padded keys get
    weight exactly 0; outputs at padded positions are computed but never attended to.
    """

    def __init__(self, size: int, num_heads: int, inner_size: int, dropout: float = 0.0) -> None:
        super().__init__()
        check_sizes(size, num_heads, inner_size, dropout)
        self.attention_norm = nn.LayerNorm(size)
        self.self_attention = MultiHeadAttention(size, size, num_heads, size, average_heads=False)
        self.feed_forward_norm = nn.LayerNorm(size)
        self.feed_forward = PositionwiseFeedForward(size, inner_size, dropout)
        self.dropout = nn.Dropout(dropout)

    def forward(self, inputs: Tensor, mask: Tensor | None) -> tuple[Tensor, Tensor]:
        normed = self.attention_norm(inputs)
        context, weights = self.self_attention(normed, normed, mask=mask)
        hidden = inputs + self.dropout(context)
        feed_forward = self.feed_forward(self.feed_forward_norm(hidden))
        return hidden + self.dropout(feed_forward), weights
