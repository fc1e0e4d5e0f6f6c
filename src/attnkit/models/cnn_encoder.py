"""A small plain-torch CNN that turns a grayscale image into a grid of P feature vectors.

Stages of conv3x3-BN-ReLU: each stage halves the resolution with a stride-2 convolution and
adds `blocks_per_stage - 1` stride-1 convolutions. With image size S and N stages the grid is
(S / 2^N) x (S / 2^N): 128 px and 4 stages give 8 x 8 = 64 positions.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn


def conv_block(in_channels: int, out_channels: int, stride: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
    )


class CNNEncoder(nn.Module):
    """images (B, S, S) uint8 or float in [0, 255], dark ink on white -> features (B, P, C)."""

    def __init__(self, channels: Sequence[int], blocks_per_stage: int = 1) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        previous = 1
        for width in channels:
            layers.append(conv_block(previous, width, stride=2))
            layers += [conv_block(width, width, stride=1) for _ in range(blocks_per_stage - 1)]
            previous = width
        # channels-last (NHWC) convolutions: about a third faster in oneDNN on CPU, and the
        # layout tensor cores want; the grid then flattens to (B, P, C) without a copy
        self.stages = nn.Sequential(*layers).to(memory_format=torch.channels_last)
        self.output_size = previous

    @staticmethod
    def grid_side(image_size: int, stages: int) -> int:
        """The side of the feature grid for square images of side `image_size` after `stages`
        stride-2 stages."""
        return -(-image_size // 2 ** stages)

    def forward(self, images: Tensor) -> Tensor:
        """images (B, S, S) -> features (B, P, C), P = grid_side(S, stages) ** 2, row-major."""
        ink = 1.0 - images.float().unsqueeze(1) / 255.0  # background 0, drawing 1
        ink = ink.contiguous(memory_format=torch.channels_last)
        grid = self.stages(ink)  # (B, C, h, w)
        return torch.flatten(grid, 2).transpose(1, 2)
