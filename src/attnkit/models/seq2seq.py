"""Encoder-decoder models of *Deep Learning from Scratch 2*, ch. 7-8: Seq2seq, PeekySeq2seq and
AttentionSeq2seq.

Encoder: Embedding(V, E) -> LSTM(H) over the right-padded (and, by the collation, reversed)
source, exact per sequence through `MaskedRNN`. The decoder starts from h = the encoder's state at
each sequence's last real token (every layer), c = 0, as the book does. A bidirectional encoder
uses H/2 per direction, so outputs and states are still H wide ([forward; backward]).

`forward` is teacher-forced scoring (logits); search lives in `attnkit.decoding`, which drives
the step interface `encode`, `initial_state`, `decode_step`, `select_state`, `select_memory`.
Parameter names: `encoder.embedding.weight`, `encoder.rnn.*` (MaskedRNN's LSTM), `decoder.*`
(see `seq2seq_decoders`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch
from torch import Tensor, nn

from attnkit.errors import AttnkitError
from attnkit.layers.masks import lengths_to_mask
from attnkit.layers.recurrent import MaskedRNN
from attnkit.models.seq2seq_decoders import (
    AttentionDecoder,
    Decoder,
    EncoderMemory,
    LSTMState,
    PeekyDecoder,
    optional_dropout,
)
from attnkit.models.sizes import check_sizes

ModelKind = Literal["attention", "peeky", "plain"]


@dataclass(frozen=True)
class Seq2seqConfig:
    """Book defaults: embedding 16, hidden 256, one layer, dot attention, reversed input.

    `attention_units` is the attention size of additive/concat attention (unused by dot).
    `reverse_source` is applied by the collation; it is kept here because a checkpoint's model
    only works on inputs prepared the way it was trained.
    """

    kind: ModelKind = "attention"
    embedding_size: int = 16
    hidden_size: int = 256
    num_layers: int = 1
    bidirectional: bool = False
    dropout: float = 0.0
    attention: str = "dot"
    attention_units: int = 128
    reverse_source: bool = True

    def __post_init__(self) -> None:
        check_sizes(self, ("embedding_size", "hidden_size", "attention_units"), ("num_layers",))
        if self.bidirectional and self.hidden_size % 2:
            raise ValueError(f"a bidirectional encoder needs an even hidden_size, "
                             f"got {self.hidden_size}")
        if not 0 <= self.dropout < 1:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")


class Encoder(nn.Module):
    """Embedding(V, E) -> (Bi)LSTM; returns all outputs and each layer's final h."""

    def __init__(self, vocab_size: int, embedding_size: int, hidden_size: int,
                 num_layers: int = 1, bidirectional: bool = False, dropout: float = 0.0) -> None:
        super().__init__()
        self.directions = 2 if bidirectional else 1
        self.embedding = nn.Embedding(vocab_size, embedding_size)
        self.dropout = optional_dropout(dropout)
        self.rnn = MaskedRNN("lstm", embedding_size, hidden_size // self.directions, num_layers,
                             bidirectional=bidirectional, dropout=dropout)

    def forward(self, source: Tensor, source_lengths: Tensor) -> EncoderMemory:
        """source (B, S), source_lengths (B,) -> EncoderMemory(outputs (B, S, H), mask (B, S),
        final_hidden (L, B, H))."""
        B, S = source.shape
        outputs, (hidden, _) = self.rnn(self.dropout(self.embedding(source)), source_lengths)
        L = hidden.shape[0] // self.directions
        # (L*D, B, H/D) -> (L, B, H): per layer, [forward; backward]
        final = hidden.view(L, self.directions, B, -1).permute(0, 2, 1, 3).reshape(L, B, -1)
        return EncoderMemory(outputs, lengths_to_mask(source_lengths, S), final)


class Seq2seq(nn.Module):
    """Plain encoder-decoder: the decoder sees the source only through its initial state."""

    decoder_class: type[Decoder] = Decoder

    def __init__(self, vocab_size: int, config: Seq2seqConfig | None = None) -> None:
        super().__init__()
        self.config = config = config or Seq2seqConfig()
        self.encoder = Encoder(vocab_size, config.embedding_size, config.hidden_size,
                               config.num_layers, config.bidirectional, config.dropout)
        self.decoder = self.build_decoder(vocab_size, config)

    def build_decoder(self, vocab_size: int, config: Seq2seqConfig) -> Decoder:
        return self.decoder_class(vocab_size, config.embedding_size, config.hidden_size,
                                  config.num_layers, config.dropout)

    def forward(self, source: Tensor, source_lengths: Tensor, target_in: Tensor) -> Tensor:
        """source (B, S), source_lengths (B,), target_in (B, T) -> logits (B, T, V)."""
        memory = self.encode(source, source_lengths)
        logits, _, _ = self.decoder(target_in, self.initial_state(memory), memory)
        return logits

    def encode(self, source: Tensor, source_lengths: Tensor) -> EncoderMemory:
        return self.encoder(source, source_lengths)

    def initial_state(self, memory: EncoderMemory) -> LSTMState:
        """h = the encoder's final state (L, B, H), c = zeros."""
        hidden = memory.final_hidden.contiguous()
        return hidden, torch.zeros_like(hidden)

    def decode_step(self, tokens: Tensor, state: LSTMState,
                    memory: EncoderMemory) -> tuple[Tensor, LSTMState, Tensor | None]:
        """tokens (B,) -> log_probs (B, V), state, weights (B, S) | None."""
        logits, state, weights = self.decoder(tokens.unsqueeze(1), state, memory)
        log_probs = torch.log_softmax(logits.squeeze(1).float(), dim=-1)
        return log_probs, state, None if weights is None else weights.squeeze(1)

    def select_state(self, state: LSTMState, indices: Tensor) -> LSTMState:
        """Keep/repeat/reorder batch rows: state (L, B, H) -> (L, len(indices), H)."""
        return state[0].index_select(1, indices), state[1].index_select(1, indices)

    def select_memory(self, memory: EncoderMemory, indices: Tensor) -> EncoderMemory:
        return EncoderMemory(memory.outputs.index_select(0, indices),
                             memory.mask.index_select(0, indices),
                             memory.final_hidden.index_select(1, indices))


class PeekySeq2seq(Seq2seq):
    """Seq2seq whose decoder sees the encoder's final h at every step."""

    decoder_class = PeekyDecoder


class AttentionSeq2seq(Seq2seq):
    """Seq2seq whose decoder attends over all encoder outputs."""

    decoder_class = AttentionDecoder

    def build_decoder(self, vocab_size: int, config: Seq2seqConfig) -> Decoder:
        try:
            return AttentionDecoder(vocab_size, config.embedding_size, config.hidden_size,
                                    config.num_layers, config.dropout, config.attention,
                                    config.attention_units)
        except AttnkitError as error:
            raise AttnkitError(f"model.attention: {error}") from None


MODEL_CLASSES: dict[str, type[Seq2seq]] = {
    "attention": AttentionSeq2seq, "peeky": PeekySeq2seq, "plain": Seq2seq}


def build_seq2seq(vocab_size: int, config: Seq2seqConfig) -> Seq2seq:
    """The model named by `config.kind`."""
    if config.kind not in MODEL_CLASSES:
        raise AttnkitError(f"unknown model kind {config.kind!r}; choose one of "
                           f"{', '.join(MODEL_CLASSES)}")
    return MODEL_CLASSES[config.kind](vocab_size, config)
