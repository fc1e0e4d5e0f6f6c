"""Seeding and saving the random state, so that a resumed run repeats an uninterrupted one."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import torch

RNG_PREFIX = "rng."
MAX_SEED = 2**32 - 1  # NumPy's legacy generator takes seeds from 0 to 2**32 - 1


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def capture_rng(prefix: str = RNG_PREFIX) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """The Python, NumPy, torch and CUDA generators as (tensors named `prefix`..., JSON-safe
    values); a checkpoint may hold more than one state under different prefixes."""
    tensors = {prefix + "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        for index, state in enumerate(torch.cuda.get_rng_state_all()):
            tensors[f"{prefix}cuda.{index}"] = state
    kind, keys, position, has_gauss, cached = np.random.get_state()
    tensors[prefix + "numpy"] = torch.from_numpy(keys.astype(np.int64))
    version, python_state, gauss = random.getstate()
    described = {
        "numpy": [kind, int(position), int(has_gauss), float(cached)],
        "python": [version, list(python_state), gauss],
    }
    return tensors, described


def restore_rng(tensors: dict[str, torch.Tensor], described: dict[str, Any],
                prefix: str = RNG_PREFIX) -> None:
    """Set every generator to a state `capture_rng(prefix)` took."""
    torch.set_rng_state(tensors[prefix + "torch"])
    cuda = sorted(k for k in tensors if k.startswith(prefix + "cuda."))
    if cuda and torch.cuda.is_available():
        torch.cuda.set_rng_state_all([tensors[k] for k in cuda])
    kind, position, has_gauss, cached = described["numpy"]
    keys = tensors[prefix + "numpy"].numpy().astype(np.uint32)
    np.random.set_state((kind, keys, position, has_gauss, cached))
    version, python_state, gauss = described["python"]
    random.setstate((version, tuple(python_state), gauss))
