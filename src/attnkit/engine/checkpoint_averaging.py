"""Checkpoint averaging: the element-wise mean of the weights of a run's last epochs, which
often scores a little better than the last epoch alone (Vaswani et al. 2017 average the last 5
checkpoints of the base Transformer). A run keeps those epochs with `train.keep_last`
(`engine.run_recorder`: `epoch-<n>.safetensors`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch
from torch import Tensor

from attnkit.engine.run_recorder import epoch_checkpoints
from attnkit.errors import AttnkitError
from attnkit.run.checkpoint import (
    load_checkpoint,
    read_header,
    resolve_checkpoint,
    save_checkpoint,
)


def average_checkpoints(paths: Sequence[str | Path]) -> dict[str, Tensor]:
    """The mean of the model tensors of the checkpoints at `paths` (a state dict). Floating
    tensors are summed in float64 and keep their dtype; other tensors (integer counters) are
    the last checkpoint's. The checkpoints must hold the same tensor names and shapes."""
    if not paths:
        raise AttnkitError("no checkpoints to average")
    sums: dict[str, Tensor] = {}
    last: dict[str, Tensor] = {}
    for index, path in enumerate(map(Path, paths)):
        state = load_checkpoint(path).model_state  # one at a time: memory for two models
        if index == 0:
            sums = {name: tensor.to(torch.float64) for name, tensor in state.items()
                    if tensor.is_floating_point()}
        else:
            check_same_tensors(state, last, path, Path(paths[0]))
            for name, total in sums.items():
                total += state[name].to(torch.float64)
        last = state
    count = len(paths)
    return {name: (sums[name] / count).to(tensor.dtype) if name in sums else tensor
            for name, tensor in last.items()}


def check_same_tensors(state: dict[str, Tensor], reference: dict[str, Tensor], path: Path,
                       reference_path: Path) -> None:
    names, expected = set(state), set(reference)
    if names != expected:
        name = sorted(names ^ expected)[0]
        raise AttnkitError(f"cannot average {path} with {reference_path}: only one has {name}")
    for name, tensor in state.items():
        other = reference[name]
        if tensor.shape != other.shape or tensor.dtype != other.dtype:
            raise AttnkitError(f"cannot average {path} with {reference_path}: {name} is "
                               f"{tuple(tensor.shape)} {tensor.dtype} in one and "
                               f"{tuple(other.shape)} {other.dtype} in the other")


def last_epoch_checkpoints(run_dir: str | Path, count: int) -> list[Path]:
    """The `epoch-<n>.safetensors` files of the run's last `count` epochs, oldest first."""
    found = epoch_checkpoints(Path(run_dir))
    if count < 1 or len(found) < count:
        raise AttnkitError(f"{run_dir} keeps {len(found)} epoch checkpoints; averaging the last "
                           f"{count} needs train.keep_last >= {count} while training")
    return found[-count:]


def save_averaged_checkpoint(paths: Sequence[str | Path], output: str | Path) -> Path:
    """Write the average of `paths` as a checkpoint with the last one's meta and epoch (no
    optimiser state: it is for evaluation and export, not for resuming); the header's
    "averaged" lists the files and epochs that went in."""
    averaged = average_checkpoints(paths)
    headers = [read_header(resolve_checkpoint(path)) for path in paths]
    output = Path(output)
    save_checkpoint(output, averaged, {
        "meta": headers[-1]["meta"], "epoch": headers[-1].get("epoch"),
        "averaged": {"files": [Path(path).name for path in paths],
                     "epochs": [header.get("epoch") for header in headers]}})
    return output
