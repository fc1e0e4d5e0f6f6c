"""Running exported ONNX files under ONNX Runtime, through the interfaces the torch models have.

An exported file reads like a checkpoint (`run.checkpoint.load_checkpoint`): its header says
which pipeline wrote it and holds that pipeline's meta, so `attnkit predict model.onnx` and
`attnkit.load("model.onnx")` find the pipeline as they do for a run. The predictors then run
the graphs in place of a torch model: `OnnxModule` is called as the torch module was, and
`OnnxStepDecoder` is a `decoding.StepDecoder` over an encoder graph and a one-step decoder
graph, so greedy search, beam search and grammar-restricted search run on it unchanged.
Everything runs on the CPU.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch
from torch import Tensor

from attnkit.errors import AttnkitError
from attnkit.run.checkpoint import Checkpoint
from attnkit.run.onnx_files import check_graph_hash, graph_file, read_graph_file, require
from attnkit.runtime.exported_graphs import StepInterface

CPU_DEVICES = ("auto", "cpu")


def is_onnx_checkpoint(checkpoint: Checkpoint) -> bool:
    """Whether `checkpoint` describes an exported ONNX file (no torch weights in it)."""
    return "onnx" in checkpoint.header


def graph_path(checkpoint: Checkpoint, role: str) -> Path:
    """The file of graph `role` ("model", "encoder", "step") of an exported checkpoint;
    `checkpoint` itself must be the export's first file, and the others are bare names in its
    folder (`run.onnx_files.graph_file`)."""
    described = checkpoint.header["onnx"]
    files = described.get("graphs", {})
    first = next(iter(files), None)
    if described.get("graph") != first:
        raise AttnkitError(f"{checkpoint.path} is the {str(described.get('graph'))[:40]} graph "
                           f"of an export; give its {str(files.get(first))[:80]} instead")
    if role not in files:
        raise AttnkitError(f"{checkpoint.path} has no {role} graph (it has "
                           f"{', '.join(map(str, files)) or 'none'})")
    owner = Path(checkpoint.path)
    if role == first:
        return owner  # itself, however it was renamed
    return graph_file(owner.parent, files[role], owner)


def graph_bytes(checkpoint: Checkpoint, role: str) -> tuple[Path, bytes]:
    """(file, content) of graph `role`; a graph other than the first must have the SHA-256
    the first file records for it, so that the files of two exports never run as one."""
    path = graph_path(checkpoint, role)
    data = read_graph_file(path)
    if path != Path(checkpoint.path):
        hashes = checkpoint.header["onnx"].get("sha256")
        expected = hashes.get(role) if isinstance(hashes, dict) else None
        check_graph_hash(data, path, expected, Path(checkpoint.path))
    return path, data


def check_cpu(device: str | None, path: Path) -> None:
    if device not in (None, *CPU_DEVICES):
        raise AttnkitError(f"{path} is an ONNX model: it runs on the CPU under ONNX Runtime, "
                           f"not on {device} (drop --device, or run the torch checkpoint)")


class OnnxGraph:
    """One ONNX graph under ONNX Runtime, called with and returning torch tensors (CPU). It is
    given the file's content (`graph_bytes`), never a path for ONNX Runtime to open."""

    def __init__(self, path: Path, data: bytes, threads: int | None = None) -> None:
        runtime = require("onnxruntime", "running an ONNX model")
        options = runtime.SessionOptions()
        options.log_severity_level = 3  # the unused host initializers are no news
        options.intra_op_num_threads = threads or torch.get_num_threads()
        try:
            self.session = runtime.InferenceSession(data, options,
                                                    providers=["CPUExecutionProvider"])
        except Exception as error:  # onnxruntime raises its own types for unreadable graphs
            raise AttnkitError(f"ONNX Runtime cannot load {path}: {str(error)[:200]}") from None
        self.path = path
        self.inputs = [item.name for item in self.session.get_inputs()]
        self.outputs = [item.name for item in self.session.get_outputs()]

    def __call__(self, **inputs: Tensor) -> dict[str, Tensor]:
        """Named inputs -> named outputs; inputs the graph does not read are left out (an
        exporter drops inputs a graph does not use)."""
        feed = {name: np.ascontiguousarray(inputs[name].detach().cpu().numpy())
                for name in self.inputs}
        values = self.session.run(self.outputs, feed)
        return {name: torch.from_numpy(np.asarray(value))
                for name, value in zip(self.outputs, values, strict=True)}


class OnnxModule:
    """An exported graph called as the torch module it replaces: positional `arguments` by
    name (None: not given), the graph outputs `results` returned in order.

    `workers` calls may run at once (from as many threads), each on one core: for a small
    recurrent graph, two one-thread calls on two cores beat one two-thread call, whose
    threads meet at every time step. `batch_size` is the batch that runs fastest so
    (measured on the IMDB classifier: 8-16 rows, bench/imdb.py)."""

    batch_size = 16

    def __init__(self, graph: OnnxGraph, arguments: Sequence[str],
                 results: Sequence[str], workers: int = 1) -> None:
        self.graph, self.arguments, self.results = graph, tuple(arguments), tuple(results)
        self.workers = workers

    @classmethod
    def from_checkpoint(cls, checkpoint: Checkpoint, device: str | None,
                        arguments: Sequence[str], results: Sequence[str]) -> OnnxModule:
        """The export's single graph ("model"): one thread per call, as many calls at once
        as torch has threads."""
        check_cpu(device, Path(checkpoint.path))
        return cls(OnnxGraph(*graph_bytes(checkpoint, "model"), threads=1), arguments, results,
                   workers=torch.get_num_threads())

    def eval(self) -> OnnxModule:
        return self

    def parameters(self) -> Iterator[Tensor]:
        return iter(())  # none in torch: the weights are in the graph

    def __call__(self, *values: Tensor | None) -> tuple[Tensor, ...]:
        given = {name: value for name, value in zip(self.arguments, values, strict=False)
                 if value is not None}
        found = self.graph(**given)
        return tuple(found[name] for name in self.results)


def step_interface(described: dict, path: Path) -> tuple[StepInterface, int | None]:
    """(how the graphs connect, P or None) as an export's header describes them."""
    positions = described.get("positions")
    try:
        interface = StepInterface.from_dict(described)
    except (KeyError, TypeError, ValueError, AttributeError):
        interface = None
    if interface is None or not (positions is None or type(positions) is int and positions > 0):
        raise AttnkitError(f"{path} has a corrupt attnkit description (how its graphs connect)")
    return interface, positions


class OnnxMemory(NamedTuple):
    """What the encoder graph gave: the memory tensors by name, and the initial state."""

    tensors: dict[str, Tensor]
    initial_state: tuple[Tensor, ...]


class OnnxStepDecoder:
    """A StepDecoder (`decoding.step`) over an exported encoder graph and step graph: the
    searches drive it as they drive the torch model, with the same inputs and results."""

    def __init__(self, encoder: OnnxGraph, step: OnnxGraph, interface: StepInterface,
                 positions: int | None = None) -> None:
        self.encoder, self.step, self.interface = encoder, step, interface
        self.axes = dict(interface.memory + interface.state)
        self.positions = positions  # P, for sources of a fixed size (images); else None

    @classmethod
    def from_checkpoint(cls, checkpoint: Checkpoint, device: str | None = None,
                        threads: int | None = None) -> OnnxStepDecoder:
        """The export's encoder and step graphs, each call on `threads` threads (None: as
        many as torch has)."""
        check_cpu(device, Path(checkpoint.path))
        described = checkpoint.header["onnx"]
        interface, positions = step_interface(described, Path(checkpoint.path))
        return cls(OnnxGraph(*graph_bytes(checkpoint, "encoder"), threads=threads),
                   OnnxGraph(*graph_bytes(checkpoint, "step"), threads=threads), interface,
                   positions)

    def eval(self) -> OnnxStepDecoder:
        return self

    def encode(self, source: Tensor, source_lengths: Tensor) -> OnnxMemory:
        found = self.encoder(source=source, source_lengths=source_lengths)
        memory = {name: found[name] for name in self.interface.memory_names}
        return OnnxMemory(memory, tuple(found[name] for name in self.interface.state_names))

    def initial_state(self, memory: OnnxMemory) -> tuple[Tensor, ...]:
        return memory.initial_state

    def decode_step(self, tokens: Tensor, state: tuple[Tensor, ...],
                    memory: OnnxMemory) -> tuple[Tensor, tuple[Tensor, ...], Tensor | None]:
        """tokens (B,) -> log_probs (B, V), new state, weights (B, S) | None."""
        given = dict(zip(self.interface.state_names, state, strict=True))
        found = self.step(tokens=tokens, **given, **memory.tensors)
        next_state = tuple(found[name] for name in self.interface.next_state_names)
        return (found["log_probs"], next_state,
                found["weights"] if self.interface.attention else None)

    def select_state(self, state: tuple[Tensor, ...], indices: Tensor) -> tuple[Tensor, ...]:
        return tuple(part.index_select(self.axes[name], indices.cpu())
                     for name, part in zip(self.interface.state_names, state, strict=True))

    def select_memory(self, memory: OnnxMemory, indices: Tensor) -> OnnxMemory:
        rows = indices.cpu()
        return OnnxMemory({name: part.index_select(self.axes[name], rows)
                           for name, part in memory.tensors.items()},
                          self.select_state(memory.initial_state, rows))
