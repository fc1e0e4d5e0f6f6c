"""Sinusoidal positions (Vaswani et al., 2017): no weights, any length up to a stated maximum.

position p, column 2i: sin(p / 10000^(2i/E)); column 2i+1: cos(p / 10000^(2i/E)).
The table is computed in the dtype of the model at each call (T x E sines, negligible next to
attention), so a float64 model gets a float64 table: the NumPy engine computes the same formula
and the two agree to rounding.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from attnkit.errors import AttnkitError


def sinusoidal_positions(start: int, length: int, size: int, dtype: torch.dtype = torch.float32,
                         device: torch.device | str | None = None) -> Tensor:
    """-> table (length, size) for positions start, ..., start + length - 1."""
    positions = torch.arange(start, start + length, dtype=dtype, device=device).unsqueeze(1)
    rates = torch.exp(torch.arange(0, size, 2, dtype=dtype, device=device)
                      * (-math.log(10000.0) / size))  # (ceil(E / 2),)
    angles = positions * rates  # (T, ceil(E / 2))
    # interleave: column 2i is sin, 2i + 1 is cos (an odd E drops the last cos)
    return torch.stack([angles.sin(), angles.cos()], dim=-1).flatten(1)[:, :size]


class SinusoidalPositions(nn.Module):
    """forward(length, start) -> positions (T, E) in `dtype` on `device`.

    `max_positions` is the longest sequence a model accepts: beyond it, an AttnkitError (the
    formula itself has no limit, but a model never trained on such lengths should say so).
    """

    def __init__(self, size: int, max_positions: int) -> None:
        super().__init__()
        if size < 1 or max_positions < 1:
            raise AttnkitError(f"positions need a positive size and max_positions, got {size} "
                               f"and {max_positions}")
        self.size, self.max_positions = size, max_positions

    def forward(self, length: int, start: int = 0, dtype: torch.dtype = torch.float32,
                device: torch.device | str | None = None) -> Tensor:
        if not torch.compiler.is_exporting() and start + length > self.max_positions:
            raise AttnkitError(f"a sequence of {start + length} positions is longer than this "
                               f"model's max_positions={self.max_positions}")
        return sinusoidal_positions(start, length, self.size, dtype, device)

    def extra_repr(self) -> str:
        return f"size={self.size}, max_positions={self.max_positions}"
