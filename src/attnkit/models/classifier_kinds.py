"""The two kinds of text classifier a recipe's `model` section may name, and the one builder.

`ClassifierModelConfig` is the BiLSTM's `ClassifierConfig` (its fields, flat, as every earlier
checkpoint stores them) plus `kind` and the Transformer's own sizes (`transformer:`). The head
settings are shared: `attention` and `attention_units` (the pooling), `dense_size`,
`dense_dropout`, and the sizes the data fill in (`vocab_size`, `num_classes`,
`bigram_vocab_size`). A section without `kind` is a BiLSTM, so old recipes and checkpoints read
as they did. The BiLSTM's own fields (`embedding_size`, `hidden_size`, `num_layers`, the
dropouts of its inputs, `query`) are not read by a Transformer, whose pooling query is always
learned (there is no final state).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from attnkit.errors import AttnkitError
from attnkit.models.classifier import AttentionClassifier, ClassifierConfig
from attnkit.models.sizes import check_sizes
from attnkit.models.transformer_classifier import (
    TransformerClassifier,
    TransformerClassifierConfig,
)

ClassifierKind = Literal["bilstm", "transformer"]
KindedClassifier = AttentionClassifier | TransformerClassifier  # either, called alike


@dataclass(frozen=True)
class TransformerEncoderSizes:
    """The Transformer encoder of `kind: transformer`: `model_size` wide (the embedding too),
    `heads` per layer, a feed-forward layer of `ff_size`, `layers` pre-norm layers, `dropout`
    after the embedding and in every layer."""

    model_size: int = 128
    heads: int = 4
    ff_size: int = 256
    layers: int = 2
    dropout: float = 0.1

    def __post_init__(self) -> None:
        check_sizes(self, ("model_size", "ff_size"), ("heads", "layers"))
        if self.model_size % self.heads:
            raise ValueError(f"model_size {self.model_size} is not divisible by "
                             f"heads={self.heads}")
        if not 0 <= self.dropout < 1:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")


@dataclass(frozen=True)
class ClassifierModelConfig(ClassifierConfig):
    """The classify recipe's model section (see the module docstring)."""

    kind: ClassifierKind = "bilstm"
    transformer: TransformerEncoderSizes = field(default_factory=TransformerEncoderSizes)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.kind == "transformer" and self.pooling != "attention":
            raise ValueError(f"pooling {self.pooling!r} is a BiLSTM option; a Transformer "
                             "classifier pools with attention alone (pooling: attention)")


def transformer_classifier_config(config: ClassifierModelConfig,
                                  max_positions: int) -> TransformerClassifierConfig:
    """The Transformer classifier a model section describes; `max_positions` is the longest
    text it reads (the recipe's `data.max_length`)."""
    sizes = config.transformer
    try:
        return TransformerClassifierConfig(
            vocab_size=config.vocab_size, model_size=sizes.model_size, heads=sizes.heads,
            ff_size=sizes.ff_size, num_layers=sizes.layers, dropout=sizes.dropout,
            max_positions=max_positions, attention=config.attention,
            attention_units=config.attention_units, dense_size=config.dense_size,
            dense_dropout=config.dense_dropout, num_classes=config.num_classes,
            bigram_vocab_size=config.bigram_vocab_size)
    except ValueError as error:
        raise AttnkitError(f"model: {error}") from None


def build_classifier(config: ClassifierConfig, max_positions: int) -> KindedClassifier:
    """The classifier of `config.kind` (a plain `ClassifierConfig` is a BiLSTM), untrained;
    both are called and answer alike (`AttentionClassifier.forward`)."""
    if getattr(config, "kind", "bilstm") == "transformer":
        return TransformerClassifier(transformer_classifier_config(config, max_positions))
    return AttentionClassifier(config)
