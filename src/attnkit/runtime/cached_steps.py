"""The encoder and one-step graphs of a Transformer-decoder model, its key/value cache included.

A model searched through a `models.transformer_stacks.TransformerDecoder` (the image reader's
and the seq2seq Transformer) carries nested tensors between steps: its memory is a
`DecoderMemory` (the source mask, or None for images, and each layer's projected keys and
values) and its state a `DecoderCache` (each layer's keys and values of the positions decoded
so far). `FlatCacheDecoder` shows such a model to `exported_graphs.step_graphs` as plain tensors:

    memory: [memory_mask (B, S)], memory_keys_<l>, memory_values_<l> (B, heads, S, E / heads)
    state:  cache_keys_<l>, cache_values_<l> (B, heads, L, E / heads), L = positions decoded

The cache grows by one position a step, so its axis 2 ("decoded") is variable in the step
graph: it is traced with two decoded positions (`torch.export` treats sizes 0 and 1 as
special) and runs from none (the encoder graph gives the empty cache). The memory's states
(B, S, E) are left out: no step reads them, and a beam would copy them at every step.
"""

from __future__ import annotations

import dataclasses

import torch
from torch import Tensor, nn

from attnkit.layers.transformer_decoder_layer import LayerCache
from attnkit.models.transformer_stacks import DecoderMemory
from attnkit.runtime.exported_graphs import GraphSpec, StepInterface, step_graphs

TRACED_POSITIONS = 2  # decoded positions in the step graph's example cache


class FlatMemory(tuple):
    """The memory tensors in the interface's order; `FlatMemory(*tensors)` rebuilds it (as
    `exported_graphs.StepGraph` does with a memory type)."""

    def __new__(cls, *parts: Tensor) -> FlatMemory:
        return super().__new__(cls, parts)


def flattened(cache: tuple[LayerCache, ...]) -> tuple[Tensor, ...]:
    return tuple(tensor for layer in cache for tensor in layer)


def paired(tensors: tuple[Tensor, ...]) -> tuple[LayerCache, ...]:
    return tuple(LayerCache(tensors[i], tensors[i + 1]) for i in range(0, len(tensors), 2))


class FlatCacheDecoder(nn.Module):
    """`model` (encode, initial_state, decode_step over a DecoderMemory and a DecoderCache)
    with a flat memory and state; `masked`: whether the model's memory has a source mask."""

    def __init__(self, model: nn.Module, masked: bool) -> None:
        super().__init__()
        self.model, self.masked = model, masked

    def encode(self, source: Tensor, source_lengths: Tensor) -> FlatMemory:
        memory = self.model.encode(source, source_lengths)
        mask = (memory.mask,) if self.masked else ()
        return FlatMemory(*mask, *flattened(memory.projected))

    def decoder_memory(self, memory: FlatMemory) -> DecoderMemory:
        mask, projected = (memory[0], memory[1:]) if self.masked else (None, tuple(memory))
        return DecoderMemory(None, mask, paired(projected))  # no step reads the states

    def initial_state(self, memory: FlatMemory) -> tuple[Tensor, ...]:
        return flattened(self.model.initial_state(self.decoder_memory(memory)))

    def decode_step(self, tokens: Tensor, state: tuple[Tensor, ...],
                    memory: FlatMemory) -> tuple[Tensor, tuple[Tensor, ...], Tensor]:
        """tokens (B,) -> log_probs (B, V), the flat cache grown by one position, weights
        (B, S)."""
        log_probs, cache, weights = self.model.decode_step(tokens, paired(state),
                                                           self.decoder_memory(memory))
        return log_probs, flattened(cache), weights


def cache_interface(layers: int, masked: bool) -> StepInterface:
    """The names (and batch axes) of the flat memory and state of a `layers`-layer decoder."""
    per_layer = [(f"{kind}_{layer}", 0) for layer in range(layers)
                 for kind in ("keys", "values")]
    memory = ((("memory_mask", 0),) if masked else ()) + \
        tuple((f"memory_{name}", axis) for name, axis in per_layer)
    return StepInterface(memory, tuple((f"cache_{name}", axis) for name, axis in per_layer),
                         True)


def cache_step_graphs(model: nn.Module, source: Tensor, source_lengths: Tensor,
                      source_axes: dict[int, str]) -> tuple[dict[str, GraphSpec], StepInterface]:
    """{"encoder", "step"} graphs of a Transformer-decoder model for an example batch, and how
    they connect. A masked memory (texts) varies along "source_length"; an unmasked one
    (an image grid of fixed P) only along "batch"."""
    model.eval()
    with torch.no_grad():
        memory = model.encode(source, source_lengths)
    masked, layers = memory.mask is not None, len(memory.projected)
    interface = cache_interface(layers, masked)
    length = {0: "batch", 2: "source_length"} if masked else {0: "batch"}
    axes = {name: length for name in interface.memory_names}
    if masked:
        axes["memory_mask"] = {0: "batch", 1: "source_length"}
    axes.update({name: {0: "batch", 2: "decoded"} for name in interface.state_names})
    flat = FlatCacheDecoder(model, masked).eval()
    graphs = step_graphs(flat, source, source_lengths, interface, source_axes, axes)
    with torch.no_grad():
        flat_memory = flat.encode(source, source_lengths)
        state = flat.initial_state(flat_memory)
        tokens = torch.ones(source.shape[0], dtype=torch.long, device=source.device)
        for _ in range(TRACED_POSITIONS):
            _, state, _ = flat.decode_step(tokens, state, flat_memory)
    # separate copies, as step_graphs makes: aliased inputs would be traced as one
    example = (tokens, *(part.clone() for part in state), *(part.clone() for part in flat_memory))
    graphs["step"] = dataclasses.replace(graphs["step"], example=example)
    return graphs, interface
