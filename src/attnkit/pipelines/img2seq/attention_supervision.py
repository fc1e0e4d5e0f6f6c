"""Supervised attention over an image grid, and the loss of a per-cell head.

A decoder step that writes an atom should attend to where that atom was drawn. Its target is a
small Gaussian over the G x G grid (cells of image_size / G pixels), centred on the atom's
position, with `sigma` in cells; the loss is the cross-entropy of the step's attention weights
against it, averaged over the steps that have a position (NaN = no target).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

SMALLEST_WEIGHT = 1e-12  # log(0) guard: far cells get ~0 weight and ~0 target


def grid_targets(positions: Tensor, grid_size: int, image_size: int,
                 sigma: float) -> tuple[Tensor, Tensor]:
    """positions (B, T, 2) pixels (x, y), NaN = none -> targets (B, T, P) summing to 1 over the
    P = G * G cells (row-major), has_target (B, T) bool."""
    has_target = ~torch.isnan(positions[..., 0])
    cell = image_size / grid_size
    centres = (torch.arange(grid_size, device=positions.device, dtype=torch.float32)
               + 0.5) * cell
    known = torch.nan_to_num(positions.float())
    dx = (centres - known[..., :1]) / cell  # (B, T, G) in cells
    dy = (centres - known[..., 1:]) / cell
    squared = dy.unsqueeze(-1) ** 2 + dx.unsqueeze(-2) ** 2  # (B, T, G, G)
    targets = torch.exp(-squared / (2 * sigma ** 2)).flatten(2)
    return targets / targets.sum(-1, keepdim=True), has_target


def attention_supervision_loss(attention: Tensor, positions: Tensor, grid_size: int,
                               image_size: int, sigma: float) -> Tensor:
    """attention (B, T, P) weights, positions (B, T, 2) -> mean cross-entropy over the steps
    with a position (0 when none has one)."""
    targets, has_target = grid_targets(positions, grid_size, image_size, sigma)
    if not bool(has_target.any()):
        return attention.sum() * 0.0
    log_weights = attention.float().clamp_min(SMALLEST_WEIGHT).log()
    return -(targets * log_weights).sum(-1)[has_target].mean()


def cell_loss(cell_logits: Tensor, cell_tokens: Tensor) -> Tensor:
    """cell_logits (B, P, V), cell_tokens (B, P) (0 = no atom, a class like the others) ->
    mean cross-entropy over the cells."""
    return nn.functional.cross_entropy(cell_logits.flatten(0, 1).float(), cell_tokens.flatten())


def attention_on_target(attention: Tensor, positions: Tensor, grid_size: int,
                        image_size: int) -> tuple[int, int]:
    """How many steps with a position have their attention peak within one cell (8 cells
    around and the cell itself) of it, and how many steps have a position."""
    has_target = ~torch.isnan(positions[..., 0])
    cell = image_size / grid_size
    target = (torch.nan_to_num(positions) // cell).clamp(0, grid_size - 1)  # (B, T, 2) x, y
    peak = attention.argmax(-1)
    near = ((peak % grid_size - target[..., 0]).abs() <= 1) & \
        ((peak // grid_size - target[..., 1]).abs() <= 1)
    return int((near & has_target).sum()), int(has_target.sum())
