"""Models as graphs for `torch.export`: what goes in and out, which axes vary, and the encoder
and one-step decoder of any model searched through the `decoding.StepDecoder` interface.

A `GraphSpec` names a module's inputs and outputs and marks the axes that vary between calls
(batch, source length); `export_program` hands it to `torch.export`. Encoders read sequences
with LSTMs: their time axis stays variable only with torch's while-loop LSTM decomposition
(the default one unrolls the example's steps), which `rnn_while_loops` turns on.

A search needs `encode`, `initial_state` and `decode_step`; `EncoderGraph` and `StepGraph` turn
these into two graphs of plain tensors: memory tensors and state tensors, in the order of the
model's own memory (a NamedTuple) and state (a tuple). `StepInterface` records that order and
each tensor's batch axis, so that a runtime can pick beam rows without the model
(`runtime.onnx_graphs.OnnxStepDecoder`).
"""

from __future__ import annotations

import contextlib
import inspect
import logging
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor, nn


@dataclass(frozen=True)
class GraphSpec:
    """module called as module(*example) -> a tuple of tensors named `outputs`.

    dynamic: per input name, {axis: dimension name}; axes sharing a name always agree
    ("batch"). The example must have at least 2 along each dynamic axis (torch.export treats
    sizes 0 and 1 as special)."""

    module: nn.Module
    example: tuple[Tensor, ...]
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    dynamic: dict[str, dict[int, str]] = field(default_factory=dict)

    def dynamic_shapes(self) -> tuple[Any, ...]:
        """torch.export's dynamic_shapes: one torch.export.Dim per dimension name, laid out
        as forward's parameters are (a `*tensors` parameter takes a tuple of the rest)."""
        dims: dict[str, Any] = {}
        shapes = [{axis: dims.setdefault(name, torch.export.Dim(name))
                   for axis, name in self.dynamic.get(input_name, {}).items()}
                  for input_name in self.inputs]
        laid_out: list[Any] = []
        for parameter in inspect.signature(self.module.forward).parameters.values():
            if parameter.kind == inspect.Parameter.VAR_POSITIONAL:
                laid_out.append(tuple(shapes[len(laid_out):]))
                break
            laid_out.append(shapes[len(laid_out)])
        return tuple(laid_out)


@contextlib.contextmanager
def rnn_while_loops() -> Iterator[None]:
    """LSTM and GRU layers traced as one while loop over time, so that the sequence length
    stays a variable (torch's default decomposition unrolls them over the example's steps)."""
    from torch.export._patches import (
        register_gru_while_loop_decomposition,
        register_lstm_while_loop_decomposition,
    )

    with register_lstm_while_loop_decomposition(), register_gru_while_loop_decomposition():
        yield


@contextlib.contextmanager
def quiet_exporter() -> Iterator[None]:
    """Keep the notes torch.export, the ONNX exporter and ONNX Runtime's quantiser make about
    their own internals (future deprecations, optional packages such as torchvision,
    pre-processing advice) off the user's terminal; failures still raise."""
    names = ("torch.onnx", "torch.export", "onnxscript", "onnx_ir", "torch._dynamo",
             None)  # None: the root logger, where onnxruntime.quantization writes
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for logger in loggers:
            logger.setLevel(logging.ERROR)
        try:
            yield
        finally:
            for logger, level in zip(loggers, levels, strict=True):
                logger.setLevel(level)


def export_program(spec: GraphSpec) -> torch.export.ExportedProgram:
    """`torch.export` of spec.module with the spec's variable axes, in eval mode."""
    spec.module.eval()
    with quiet_exporter(), rnn_while_loops(), torch.no_grad():
        return torch.export.export(spec.module, spec.example,
                                   dynamic_shapes=spec.dynamic_shapes())


@dataclass(frozen=True)
class StepInterface:
    """The tensors between the two graphs of a step-decoded model: memory (encoder output,
    read by every step) and state (carried from step to step), each as (name, batch axis),
    and whether a step also gives attention weights (B, S)."""

    memory: tuple[tuple[str, int], ...]
    state: tuple[tuple[str, int], ...]
    attention: bool

    def to_dict(self) -> dict[str, Any]:
        return {"memory": [list(item) for item in self.memory],
                "state": [list(item) for item in self.state], "attention": self.attention}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StepInterface:
        return cls(tuple((str(name), int(axis)) for name, axis in data["memory"]),
                   tuple((str(name), int(axis)) for name, axis in data["state"]),
                   bool(data["attention"]))

    @property
    def memory_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.memory)

    @property
    def state_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.state)

    @property
    def next_state_names(self) -> tuple[str, ...]:
        """The step's outputs of the state ("next_hidden"): a graph cannot reuse input names."""
        return tuple(f"next_{name}" for name, _ in self.state)


class EncoderGraph(nn.Module):
    """source, source_lengths -> (*memory, *initial state) of a StepDecoder model."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, source: Tensor, source_lengths: Tensor) -> tuple[Tensor, ...]:
        memory = self.model.encode(source, source_lengths)
        return (*memory, *self.model.initial_state(memory))


class StepGraph(nn.Module):
    """tokens (B,), *state, *memory -> (log_probs (B, V), *next state[, weights (B, S)]): one
    `decode_step` of a StepDecoder model whose memory is a `memory_type` NamedTuple."""

    def __init__(self, model: nn.Module, memory_type: type, state_size: int) -> None:
        super().__init__()
        self.model, self.memory_type, self.state_size = model, memory_type, state_size

    def forward(self, tokens: Tensor, *tensors: Tensor) -> tuple[Tensor, ...]:
        state = tuple(tensors[: self.state_size])
        memory = self.memory_type(*tensors[self.state_size:])
        log_probs, state, weights = self.model.decode_step(tokens, state, memory)
        return (log_probs, *state) + (() if weights is None else (weights,))


def step_graphs(model: nn.Module, source: Tensor, source_lengths: Tensor,
                interface: StepInterface, source_axes: dict[int, str],
                memory_axes: dict[str, dict[int, str]]) -> dict[str, GraphSpec]:
    """{"encoder": ..., "step": ...} graphs of a StepDecoder model, for an example batch
    (source, source_lengths). source_axes: the variable axes of the source ({0: "batch",
    1: "source_length"}); memory_axes: those of each memory and state tensor."""
    model.eval()
    with torch.no_grad():
        memory = model.encode(source, source_lengths)
        state = tuple(model.initial_state(memory))
    # Separate copies: a state that *is* a memory tensor (h0 = the encoder's final h) would
    # be traced as one input, and the step graph would read the initial state at every step.
    memory = type(memory)(*(part.clone() for part in memory))
    state = tuple(part.clone() for part in state)
    names = interface.memory_names + interface.state_names
    encoder = GraphSpec(EncoderGraph(model), (source, source_lengths),
                        ("source", "source_lengths"), names,
                        {"source": source_axes, "source_lengths": {0: "batch"}})
    tokens = torch.ones(source.shape[0], dtype=torch.long, device=source.device)
    outputs = ("log_probs", *interface.next_state_names) + (("weights",) if interface.attention
                                                            else ())
    step = GraphSpec(StepGraph(model, type(memory), len(state)), (tokens, *state, *memory),
                     ("tokens", *interface.state_names, *interface.memory_names), outputs,
                     {"tokens": {0: "batch"}, **memory_axes})
    return {"encoder": encoder, "step": step}

