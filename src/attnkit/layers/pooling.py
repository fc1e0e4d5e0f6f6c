"""Attention pooling: one vector per sequence, as a weighted mean of its states (classifiers)."""

import torch
from torch import Tensor, nn

from attnkit.layers.factory import build_attention


class AttentionPooling(nn.Module):
    """Pool keys (B, S, K) into a context (B, K) with attention weights (B, S).

    The query is a given state (B, Q) when `query_size` is set, else a learned vector of the
    key size (Yang et al., 2016, hierarchical attention networks). `kind` is any
    `build_attention` kind; `units` is its attention size.
    """

    def __init__(
        self,
        key_size: int,
        units: int,
        query_size: int | None = None,
        kind: str = "additive",
        num_heads: int = 4,
    ) -> None:
        super().__init__()
        self.learned_query = query_size is None
        if self.learned_query:
            # Random, not zero: a zero query gives the additive query layer no gradient.
            self.query = nn.Parameter(torch.randn(key_size) / key_size**0.5)
        else:
            self.register_parameter("query", None)
        attention_query_size = key_size if query_size is None else query_size
        self.attention = build_attention(kind, attention_query_size, key_size, units, num_heads)

    def forward(
        self, keys: Tensor, mask: Tensor | None, query: Tensor | None = None
    ) -> tuple[Tensor, Tensor]:
        """keys (B, S, K), mask (B, S) bool, True = attend | None, query (B, Q) | None
        -> context (B, K), weights (B, S)."""
        B, S, K = keys.shape
        if self.learned_query and query is not None:
            raise ValueError("this pooling learns its query (query_size=None); do not pass one")
        if not self.learned_query and query is None:
            raise ValueError("this pooling was built with query_size; pass a query (B, Q)")
        if self.learned_query:
            query = self.query.expand(B, K)
        return self.attention(query, keys, mask=mask)
