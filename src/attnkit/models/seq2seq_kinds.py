"""Every seq2seq model attnkit trains, by kind, behind one config and one builder: the book's
LSTM models (`plain`, `peeky`, `attention`: `models.seq2seq`), the GNMT-style deep
`residual_lstm` (`models.residual_lstm_seq2seq`) and the `transformer`
(`models.transformer_seq2seq`). All of them have the same `forward` and search interface.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from torch import nn

from attnkit.errors import AttnkitError
from attnkit.models.residual_lstm_seq2seq import ResidualLSTMConfig, ResidualLSTMSeq2Seq
from attnkit.models.seq2seq import Seq2seqConfig, build_seq2seq
from attnkit.models.transformer_seq2seq import TransformerConfig, TransformerSeq2Seq

Seq2seqKind = Literal["attention", "peeky", "plain", "residual_lstm", "transformer"]
BOOK_KINDS = ("attention", "peeky", "plain")


@dataclass(frozen=True)
class Seq2seqModelConfig(Seq2seqConfig):
    """`kind` picks the model. The book's models read the fields of `Seq2seqConfig`
    (embedding_size, hidden_size, num_layers, ...); `residual_lstm` and `transformer` read their
    own section, so that one recipe can hold the settings of every kind.

    `reverse_source` (the book's trick for LSTMs that read the source once) applies to the
    book's models only: the Transformer sees every position at once and the residual LSTM's
    first layer is bidirectional, so both read the source in order whatever it says
    (`reads_reversed`)."""

    kind: Seq2seqKind = "attention"
    residual_lstm: ResidualLSTMConfig = field(default_factory=ResidualLSTMConfig)
    transformer: TransformerConfig = field(default_factory=TransformerConfig)

    @property
    def reads_reversed(self) -> bool:
        """Whether the model is fed reversed sources (see the class docstring)."""
        return self.reverse_source and self.kind in BOOK_KINDS


def build_seq2seq_model(config: Seq2seqModelConfig | Seq2seqConfig, source_vocab_size: int,
                        target_vocab_size: int, shared_vocabulary: bool) -> nn.Module:
    """The model `config.kind` names, for these vocabularies. `shared_vocabulary`: both sides
    use the same ids (one character vocabulary, or a joint subword model), so the Transformer
    can tie its source embedding to the target one (`transformer.tie_embeddings`)."""
    if config.kind == "transformer":
        return TransformerSeq2Seq(source_vocab_size, target_vocab_size, config.transformer,
                                  shared_vocabulary)
    if config.kind == "residual_lstm":
        return ResidualLSTMSeq2Seq(source_vocab_size, target_vocab_size, config.residual_lstm)
    if source_vocab_size != target_vocab_size:
        raise AttnkitError(f"model.kind {config.kind!r} has one vocabulary size for both sides, "
                           f"got {source_vocab_size} source and {target_vocab_size} target "
                           "tokens; learn one subword model (data.subwords.joint=true)")
    return build_seq2seq(source_vocab_size, config)
