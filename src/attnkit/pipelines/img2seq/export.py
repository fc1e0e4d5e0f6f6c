"""The image-to-sequence model as two ONNX graphs: the encoder and one decoder step.

Recurrent decoder: encoder: source (B, S, S) uint8 images (as `ImageReader.load` gives them)
-> features (B, P, D), keys (B, P, A), and the decoder's initial hidden (B, H) (and cell for an
LSTM decoder). step: tokens (B,), hidden[, cell], features, keys -> log_probs (B, V), the new
hidden[, cell] and weights (B, P) over the grid.
Transformer decoder: encoder: source -> each layer's cross-attention keys and values of the
grid and the empty key/value cache; step: tokens (B,), the cache, the grid's keys and values ->
log_probs, the cache grown by one position and weights (B, P) (`runtime.cached_steps`).
An ImageReader runs either with the searches of `attnkit.decoding` as it runs the torch model.
"""

from __future__ import annotations

import torch

from attnkit.run.checkpoint import Checkpoint
from attnkit.runtime.cached_steps import cache_step_graphs
from attnkit.runtime.exported_graphs import StepInterface, step_graphs
from attnkit.runtime.onnx_export import OnnxExport

BATCH = {0: "batch"}


def interface(rnn: str) -> StepInterface:
    state = (("hidden", 0),) if rnn == "gru" else (("hidden", 0), ("cell", 0))
    return StepInterface((("features", 0), ("keys", 0)), state, True)


def onnx_export(checkpoint: Checkpoint) -> OnnxExport:
    """The reading model a checkpoint holds (no training-only head) as "encoder" and "step"."""
    from attnkit.pipelines.img2seq.data import image_lengths
    from attnkit.pipelines.img2seq.predictor import ImageReader

    reader = ImageReader.from_checkpoint(checkpoint.path, "cpu")
    generator = torch.Generator().manual_seed(0)
    size = reader.image_size
    images = torch.randint(0, 256, (3, size, size), generator=generator).to(torch.uint8)
    lengths = image_lengths(reader.model, images)
    if reader.recipe.model.decoder == "transformer":
        graphs, steps = cache_step_graphs(reader.model, images, lengths, BATCH)
    else:
        steps = interface(reader.recipe.model.rnn)
        graphs = step_graphs(reader.model, images, lengths, steps, BATCH,
                             {name: BATCH for name in ("features", "keys", "hidden", "cell")})
    return OnnxExport(graphs, {}, {**steps.to_dict(), "positions": reader.model.positions})
