"""The runtime a predictor is handed: what turns a loaded RUN into a model it can call.

`TorchRuntime` builds the pipeline's torch model and loads the checkpoint's weights onto its
device; `OnnxRuntime` runs an export's graphs under ONNX Runtime behind the same interfaces (a
module called as the torch one was, or a `decoding.StepDecoder`). `runtime_for` picks the one a
checkpoint needs, so a predictor never asks what kind of file it was given.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import torch
from torch import nn

from attnkit.engine.device import resolve_device
from attnkit.run.checkpoint import Checkpoint, build_checked
from attnkit.runtime.onnx_graphs import (
    OnnxModule,
    OnnxStepDecoder,
    check_cpu,
    is_onnx_checkpoint,
)

# What --runtime may ask for: torch, ONNX Runtime, or ONNX Runtime on int8 weights (classifiers)
RUNTIMES = ("torch", "onnx", "onnx-int8")


class Runtime(Protocol):
    """name: "torch" or "onnx"; device: where inputs go; batch_size: the batch it runs fastest
    (None: the pipeline's own choice); parallel_calls: how many batches may run at once."""

    name: str
    device: torch.device
    batch_size: int | None
    parallel_calls: int

    def module(self, checkpoint: Checkpoint, build: Callable[[], nn.Module],
               arguments: Sequence[str], results: Sequence[str]) -> Any:
        """The model, called with positional `arguments` and returning `results`."""

    def step_decoder(self, checkpoint: Checkpoint, build: Callable[[], nn.Module],
                     workers: int = 1) -> Any:
        """The model as a `decoding.StepDecoder` (encode, decode_step, ...), to be driven by
        `workers` searches at once."""


@dataclass
class TorchRuntime:
    device: torch.device
    name: str = "torch"
    batch_size: int | None = None
    parallel_calls: int = 1

    def module(self, checkpoint: Checkpoint, build: Callable[[], nn.Module],
               arguments: Sequence[str] = (), results: Sequence[str] = ()) -> nn.Module:
        return build_checked(build, checkpoint, self.device)

    def step_decoder(self, checkpoint: Checkpoint, build: Callable[[], nn.Module],
                     workers: int = 1) -> nn.Module:
        return build_checked(build, checkpoint, self.device)


@dataclass
class OnnxRuntime:
    """The CPU, one thread per call and as many calls at once as torch has threads (see
    `OnnxModule`: 16-row batches ran fastest for the IMDB classifier)."""

    device: torch.device = field(default_factory=lambda: torch.device("cpu"))
    name: str = "onnx"
    batch_size: int | None = OnnxModule.batch_size
    parallel_calls: int = field(default_factory=torch.get_num_threads)

    def module(self, checkpoint: Checkpoint, build: Callable[[], nn.Module],
               arguments: Sequence[str] = (), results: Sequence[str] = ()) -> OnnxModule:
        return OnnxModule.from_checkpoint(checkpoint, None, arguments, results)

    def step_decoder(self, checkpoint: Checkpoint, build: Callable[[], nn.Module],
                     workers: int = 1) -> OnnxStepDecoder:
        """The graphs with the cores shared among `workers` searches (a search's steps are
        small: two one-thread searches on two cores beat one two-thread search)."""
        threads = max(1, torch.get_num_threads() // workers)
        return OnnxStepDecoder.from_checkpoint(checkpoint, threads=threads)


def runtime_for(checkpoint: Checkpoint, device: str | None) -> Runtime:
    """ONNX Runtime for an export (which runs on the CPU only), else torch on `device`."""
    if is_onnx_checkpoint(checkpoint):
        check_cpu(device, Path(checkpoint.path))
        return OnnxRuntime()
    return TorchRuntime(resolve_device(device or "auto"))
