"""The classifier as one ONNX graph, which a TextClassifier runs in place of the torch model.

Inputs: tokens (B, S) int64 right-padded with 0, lengths (B,) int64, then bigrams (B, S) when
the model embeds word pairs, and ngrams (N,) with ngram_offsets (B,) when it stacks the n-gram
branch (the batch of `data.collate`). Outputs: logits (B,) for two classes or (B, C),
probabilities (B, C) and attention weights (B, S), exactly 0 at padding. The stacked model's
n-gram table travels in the file as the host tensor "ngrams.keys".
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from attnkit.models.classifier_kinds import KindedClassifier
from attnkit.models.stacked_classifier import StackedClassifier
from attnkit.pipelines.classify.predictor import (
    MODEL_INPUTS,
    TextClassifier,
    class_probabilities,
)
from attnkit.run.checkpoint import Checkpoint
from attnkit.runtime.exported_graphs import GraphSpec
from attnkit.runtime.onnx_export import OnnxExport

INT8 = True  # `attnkit export --int8` quantises this pipeline's graph
OUTPUTS = ("logits", "probabilities", "weights")


class ClassifierGraph(nn.Module):
    """(*the inputs `names` lists) -> logits, probabilities, weights."""

    def __init__(self, model: KindedClassifier | StackedClassifier,
                 names: tuple[str, ...]) -> None:
        super().__init__()
        self.model, self.names = model, names

    def forward(self, *inputs: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        given = dict(zip(self.names, inputs, strict=True))
        logits, weights = self.model(given["tokens"], given["lengths"], given.get("bigrams"),
                                     given.get("ngrams"), given.get("ngram_offsets"))
        return logits, class_probabilities(logits), weights


def input_names(model: KindedClassifier | StackedClassifier) -> tuple[str, ...]:
    """The inputs of `MODEL_INPUTS` the model reads."""
    attention = model.attention if isinstance(model, StackedClassifier) else model
    unread = set()
    if attention.bigram_embedding is None:
        unread.add("bigrams")
    if not isinstance(model, StackedClassifier):
        unread |= {"ngrams", "ngram_offsets"}
    return tuple(name for name in MODEL_INPUTS if name not in unread)


def example_inputs(model: KindedClassifier | StackedClassifier,
                   names: tuple[str, ...]) -> tuple[Tensor, ...]:
    """A batch of 3 texts of lengths 6, 3 and 5 (every variable axis >= 2)."""
    attention = model.attention if isinstance(model, StackedClassifier) else model
    generator = torch.Generator().manual_seed(0)
    lengths = torch.tensor([6, 3, 5])
    mask = torch.arange(6)[None, :] < lengths[:, None]
    tokens = torch.randint(1, attention.config.vocab_size, (3, 6), generator=generator) * mask
    examples = {"tokens": tokens, "lengths": lengths}
    if "bigrams" in names:
        size = attention.config.bigram_vocab_size
        examples["bigrams"] = torch.randint(1, max(size, 2), (3, 6), generator=generator) * mask
    if "ngrams" in names:
        table = model.ngrams.keys.shape[0]
        examples["ngrams"] = torch.randint(0, table, (7,), generator=generator)
        examples["ngram_offsets"] = torch.tensor([0, 2, 4])
    return tuple(examples[name] for name in names)


def classifier_graph(model: KindedClassifier | StackedClassifier) -> GraphSpec:
    names = input_names(model)
    dynamic = {"tokens": {0: "batch", 1: "length"}, "lengths": {0: "batch"},
               "bigrams": {0: "batch", 1: "length"}, "ngrams": {0: "ngram_count"},
               "ngram_offsets": {0: "batch"}}
    return GraphSpec(ClassifierGraph(model.eval(), names), example_inputs(model, names), names,
                     OUTPUTS, {name: dynamic[name] for name in names})


def onnx_export(checkpoint: Checkpoint) -> OnnxExport:
    """The classifier a checkpoint holds, as the graph "model"."""
    model = TextClassifier.from_checkpoint(checkpoint.path, "cpu").model
    host = {"ngrams.keys": model.ngrams.keys} if isinstance(model, StackedClassifier) else {}
    return OnnxExport({"model": classifier_graph(model)}, host, {"inputs": list(
        input_names(model))})
