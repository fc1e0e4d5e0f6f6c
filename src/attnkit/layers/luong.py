"""Luong et al. (2015) scores: dot q^T k, general q^T W k, concat v^T tanh(W [q; k])."""

from torch import Tensor, nn

from attnkit.layers.additive import tanh_scores
from attnkit.layers.attention import Attention


class DotAttention(Attention):
    """score(q, k) = q^T k. No parameters; the query and key sizes must be equal."""

    def score(self, query: Tensor, keys: Tensor) -> Tensor:
        """query (B, T, H), keys (B, S, H) -> scores (B, T, S)."""
        if query.shape[-1] != keys.shape[-1]:
            raise ValueError(
                f"dot attention needs query size == key size, got {query.shape[-1]} and "
                f"{keys.shape[-1]}"
            )
        return query @ keys.transpose(1, 2)


class GeneralAttention(Attention):
    """score(q, k) = q^T W k, with `key_layer` W (H, K).

    No bias: q^T b would add the same amount to every key's score and cancel in the softmax.
    """

    def __init__(self, query_size: int, key_size: int) -> None:
        super().__init__()
        self.key_layer = nn.Linear(key_size, query_size, bias=False)

    def score(self, query: Tensor, keys: Tensor) -> Tensor:
        """query (B, T, H), keys (B, S, K) -> scores (B, T, S)."""
        return query @ self.key_layer(keys).transpose(1, 2)


class ConcatAttention(Attention):
    """score(q, k) = v^T tanh(W [q; k] + b), with `concat_layer` W (A, H + K) and b,
    `energy_layer` v (1, A).

    W [q; k] is computed as W[:, :H] q + W[:, H:] k, so the (B, T, S, H + K) concatenation is
    never built. The same function as additive attention, kept with Luong's parametrisation.
    """

    def __init__(self, query_size: int, key_size: int, units: int) -> None:
        super().__init__()
        self.query_size = query_size
        self.concat_layer = nn.Linear(query_size + key_size, units)
        self.energy_layer = nn.Linear(units, 1, bias=False)

    def score(self, query: Tensor, keys: Tensor) -> Tensor:
        """query (B, T, H), keys (B, S, K) -> scores (B, T, S)."""
        weight, bias = self.concat_layer.weight, self.concat_layer.bias
        query_part = query @ weight[:, : self.query_size].T + bias
        key_part = keys @ weight[:, self.query_size :].T
        return tanh_scores(query_part, key_part, self.energy_layer)
