"""Choosing the device a run uses."""

from __future__ import annotations

import torch
from torch import Tensor

from attnkit.errors import AttnkitError


def resolve_device(name: str = "auto") -> torch.device:
    """`auto` picks CUDA when present, else CPU; asking for CUDA without one is an error."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cpu":
        return torch.device("cpu")
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise AttnkitError(f"device {name!r} asked for, but no CUDA device is available")
        return torch.device(name)
    raise AttnkitError(f"unknown device {name!r}; use auto, cpu or cuda")


def move(batch: dict[str, Tensor], device: torch.device) -> dict[str, Tensor]:
    """A batch dict with every tensor on `device` (other values as they are)."""
    non_blocking = device.type == "cuda"
    return {k: v.to(device, non_blocking=non_blocking) if isinstance(v, Tensor) else v
            for k, v in batch.items()}
