"""The seq2seq models as two ONNX graphs: the encoder and one decoder step.

LSTM models: encoder: source (B, S) int64 (right-padded, reversed when the model reads
reversed input, as `data.seq_batches.encode_sources` prepares it), source_lengths (B,) ->
outputs (B, S, H), mask (B, S) bool, final_hidden (L, B, H), and the decoder's initial hidden
and cell (L, B, H). step: tokens (B,), hidden, cell, outputs, mask, final_hidden -> log_probs
(B, V), the new hidden and cell, and for attention models weights (B, S).

Transformers: encoder: source, source_lengths -> states (B, S, E), mask (B, S), each decoder
layer's projected memory keys_i and values_i (B, heads, S, E / heads), and the empty key/value
cache (B, heads, 0, E / heads) of each layer. step: tokens (B,), the cache, the memory ->
log_probs (B, V), the cache grown by one position (its length axis, "decoded_length", varies)
and weights (B, S): the last layer's cross-attention averaged over its heads.

A Translator runs them with the searches of `attnkit.decoding` (greedy, beam, grammar-restricted)
as it runs the torch model.
"""

from __future__ import annotations

import collections
import dataclasses
from typing import Any

import torch
from torch import Tensor, nn

from attnkit.layers.transformer_decoder_layer import LayerCache
from attnkit.models.transformer_seq2seq import TransformerSeq2Seq
from attnkit.models.transformer_stacks import DecoderMemory
from attnkit.run.checkpoint import Checkpoint
from attnkit.runtime.exported_graphs import StepInterface, step_graphs
from attnkit.runtime.onnx_export import OnnxExport

BATCH, LENGTH = {0: "batch"}, {0: "batch", 1: "source_length"}
STATE_AXES = {"final_hidden": {1: "batch"}, "hidden": {1: "batch"}, "cell": {1: "batch"}}
PER_HEAD = {0: "batch", 2: "source_length"}  # (B, heads, S, E / heads)
CACHE = {0: "batch", 2: "decoded_length"}  # (B, heads, L, E / heads)


def interface(attention: bool) -> StepInterface:
    return StepInterface((("outputs", 0), ("mask", 0), ("final_hidden", 1)),
                         (("hidden", 1), ("cell", 1)), attention)


class FlatTransformer(nn.Module):
    """A `TransformerSeq2Seq` whose search memory and state are flat tuples of tensors (what an
    exported graph takes and gives): memory (states, mask, keys_0, values_0, ...), state
    (cache_keys_0, cache_values_0, ...)."""

    def __init__(self, model: TransformerSeq2Seq) -> None:
        super().__init__()
        self.model = model
        layers = len(model.decoder.layers)
        names = [f"{kind}_{i}" for i in range(layers) for kind in ("keys", "values")]
        self.memory_type = collections.namedtuple("FlatMemory", ["states", "mask", *names])
        self.state_names = tuple(f"cache_{name}" for name in names)

    def encode(self, source: Tensor, source_lengths: Tensor) -> Any:
        memory = self.model.encode(source, source_lengths)
        return self.memory_type(memory.states, memory.mask, *flatten(memory.projected))

    def initial_state(self, memory: Any) -> tuple[Tensor, ...]:
        return flatten(self.model.initial_state(self.unflatten_memory(memory)))

    def decode_step(self, tokens: Tensor, state: tuple[Tensor, ...],
                    memory: Any) -> tuple[Tensor, tuple[Tensor, ...], Tensor]:
        log_probs, cache, weights = self.model.decode_step(
            tokens, unflatten(state), self.unflatten_memory(memory))
        return log_probs, flatten(cache), weights

    def unflatten_memory(self, memory: Any) -> DecoderMemory:
        return DecoderMemory(memory[0], memory[1], unflatten(tuple(memory[2:])))


def flatten(caches: tuple[LayerCache, ...]) -> tuple[Tensor, ...]:
    return tuple(tensor for cache in caches for tensor in cache)


def unflatten(tensors: tuple[Tensor, ...]) -> tuple[LayerCache, ...]:
    return tuple(LayerCache(tensors[i], tensors[i + 1]) for i in range(0, len(tensors), 2))


def transformer_graphs(model: TransformerSeq2Seq, source: Tensor,
                       lengths: Tensor) -> tuple[dict, StepInterface]:
    """The encoder and step graphs of a Transformer. The step's example carries a cache of 2
    positions: torch.export keeps an axis variable only from an example of at least 2 along
    it; the search then starts it from the encoder's empty cache."""
    flat = FlatTransformer(model).eval()
    memory_names = flat.memory_type._fields
    steps = StepInterface(tuple((name, 0) for name in memory_names),
                          tuple((name, 0) for name in flat.state_names), True)
    axes = {"states": LENGTH, "mask": LENGTH,
            **{name: PER_HEAD for name in memory_names[2:]},
            **{name: CACHE for name in flat.state_names}}
    graphs = step_graphs(flat, source, lengths, steps, LENGTH, axes)
    with torch.no_grad():
        memory = flat.encode(source, lengths)
        state = flat.initial_state(memory)
        for token in (2, 5):  # `<s>` and another token: a cache of 2 positions
            _, state, _ = flat.decode_step(torch.full((len(source),), token), state, memory)
    example = graphs["step"].example
    tokens, memory_parts = example[0], example[1 + len(state):]
    graphs["step"] = dataclasses.replace(
        graphs["step"], example=(tokens, *(part.clone() for part in state), *memory_parts))
    return graphs, steps


def onnx_export(checkpoint: Checkpoint) -> OnnxExport:
    """The model a checkpoint holds as the graphs "encoder" and "step"."""
    from attnkit.pipelines.seq2seq.predictor import Translator

    translator = Translator.from_checkpoint(checkpoint.path, "cpu")
    generator = torch.Generator().manual_seed(0)
    lengths = torch.tensor([5, 3, 4])
    source = torch.randint(0, len(translator.vocabulary.source), (3, 5), generator=generator)
    source = source * (torch.arange(5)[None, :] < lengths[:, None])
    if isinstance(translator.model, TransformerSeq2Seq):
        graphs, steps = transformer_graphs(translator.model, source, lengths)
        return OnnxExport(graphs, {}, steps.to_dict())
    # the residual LSTM's memory and state are those of the book's attention model
    steps = interface(translator.recipe.model.kind not in ("plain", "peeky"))
    graphs = step_graphs(translator.model, source, lengths, steps, LENGTH,
                         {"outputs": LENGTH, "mask": LENGTH, **STATE_AXES})
    return OnnxExport(graphs, {}, steps.to_dict())
