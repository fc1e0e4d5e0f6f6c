"""The seq2seq models as two ONNX graphs: the encoder and one decoder step.

encoder: source (B, S) int64 (right-padded, reversed when the model reads reversed input, as
`data.seq_batches.encode_sources` prepares it), source_lengths (B,) -> outputs (B, S, H),
mask (B, S) bool, final_hidden (L, B, H), and the decoder's initial hidden and cell (L, B, H).
step: tokens (B,), hidden, cell, outputs, mask, final_hidden -> log_probs (B, V), the new
hidden and cell, and for attention models weights (B, S). A Translator runs them with the
searches of `attnkit.decoding` (greedy, beam, grammar-restricted) as it runs the torch model.
"""

from __future__ import annotations

import torch

from attnkit.run.checkpoint import Checkpoint
from attnkit.runtime.exported_graphs import StepInterface, step_graphs
from attnkit.runtime.onnx_export import OnnxExport

BATCH, LENGTH = {0: "batch"}, {0: "batch", 1: "source_length"}
STATE_AXES = {"final_hidden": {1: "batch"}, "hidden": {1: "batch"}, "cell": {1: "batch"}}


def interface(attention: bool) -> StepInterface:
    return StepInterface((("outputs", 0), ("mask", 0), ("final_hidden", 1)),
                         (("hidden", 1), ("cell", 1)), attention)


def onnx_export(checkpoint: Checkpoint) -> OnnxExport:
    """The model a checkpoint holds as the graphs "encoder" and "step"."""
    from attnkit.pipelines.seq2seq.predictor import Translator

    translator = Translator.from_checkpoint(checkpoint.path, "cpu")
    generator = torch.Generator().manual_seed(0)
    lengths = torch.tensor([5, 3, 4])
    source = torch.randint(0, len(translator.vocab), (3, 5), generator=generator)
    source = source * (torch.arange(5)[None, :] < lengths[:, None])
    steps = interface(translator.recipe.model.kind == "attention")
    graphs = step_graphs(translator.model, source, lengths, steps, LENGTH,
                         {"outputs": LENGTH, "mask": LENGTH, **STATE_AXES})
    return OnnxExport(graphs, {}, steps.to_dict())
