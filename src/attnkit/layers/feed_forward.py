"""The position-wise feed-forward layer of a Transformer block."""

from __future__ import annotations

from torch import Tensor, nn


class PositionwiseFeedForward(nn.Module):
    """x (B, T, E) -> Linear(E, F) -> ReLU -> dropout -> Linear(F, E) -> (B, T, E), the same
    two-layer network at every position. Parameters: `inner.*` (F, E), `outer.*` (E, F)."""

    def __init__(self, size: int, inner_size: int, dropout: float = 0.0) -> None:
        super().__init__()
        self.inner = nn.Linear(size, inner_size)
        self.activation = nn.ReLU()
        self.dropout = nn.Dropout(dropout)
        self.outer = nn.Linear(inner_size, size)

    def forward(self, inputs: Tensor) -> Tensor:
        return self.outer(self.dropout(self.activation(self.inner(inputs))))
