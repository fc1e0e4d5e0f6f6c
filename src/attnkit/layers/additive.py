"""Additive (Bahdanau) attention: score(q, k) = v^T tanh(W1 k + W2 q)."""

import torch
from torch import Tensor, nn

from attnkit.layers.attention import Attention


def tanh_scores(query_part: Tensor, key_part: Tensor, vector: nn.Linear) -> Tensor:
    """query_part (B, T, A), key_part (B, S, A) -> v^T tanh(query_part + key_part) (B, T, S).

    Shared by additive and Luong-concat attention, which differ only in how they are
    parametrised.
    """
    hidden = torch.tanh(query_part.unsqueeze(2) + key_part.unsqueeze(1))  # (B, T, S, A)
    return vector(hidden).squeeze(-1)


class AdditiveAttention(Attention):
    """Bahdanau attention: score(q, k) = v^T tanh(W1 k + W2 q + b).

    Parameters: `key_layer` W1 (A, K) without bias, `query_layer` W2 (A, H) with the one bias b
    (a second bias would be redundant), `energy_layer` v (1, A).
    """

    def __init__(self, query_size: int, key_size: int, units: int) -> None:
        super().__init__()
        self.key_layer = nn.Linear(key_size, units, bias=False)
        self.query_layer = nn.Linear(query_size, units)
        self.energy_layer = nn.Linear(units, 1, bias=False)

    def score(self, query: Tensor, keys: Tensor) -> Tensor:
        """query (B, T, H), keys (B, S, K) -> scores (B, T, S)."""
        return tanh_scores(self.query_layer(query), self.key_layer(keys), self.energy_layer)
