"""A deep residual LSTM encoder-decoder with attention, in the manner of GNMT (Wu et al., 2016).

Encoder: Embedding(V, E) -> a bidirectional first LSTM layer (H/2 per direction, so H wide) ->
unidirectional LSTM layers of H. Decoder: an LSTM over the target embeddings whose outputs
query the encoder outputs (any `build_attention` kind); every upper decoder layer reads
[layer below; context], and the output layer reads [context; top layer].

Residual connections, on both sides, as GNMT places them: layer n >= `residual_from` adds its
input to its output (GNMT: from the third layer, `residual_from=3`; 2 starts one layer lower;
the first layer never has one: its input is the embedding). Dropout is applied to every
layer's input.

Unlike GNMT, the attention query at step t is the bottom decoder layer's output at step t (not
t - 1), and the context is not fed back into the bottom layer: so teacher forcing runs each
layer once over the whole target, as the book's attention decoder does. The decoder starts from
zero states (GNMT passes no encoder state to it).

`forward` and the search interface are those of `models.seq2seq.AttentionSeq2seq`; the state
is (h, c), each (decoder_layers, B, H).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from attnkit.errors import AttnkitError
from attnkit.layers.factory import build_attention
from attnkit.layers.masks import lengths_to_mask
from attnkit.layers.recurrent import MaskedRNN
from attnkit.models.seq2seq_decoders import EncoderMemory, LSTMState
from attnkit.models.sizes import check_sizes


@dataclass(frozen=True)
class ResidualLSTMConfig:
    """Sizes of the GNMT-style model; `attention_units` is additive/concat attention's size."""

    embedding_size: int = 256
    hidden_size: int = 256
    encoder_layers: int = 4
    decoder_layers: int = 4
    dropout: float = 0.2
    attention: str = "additive"
    attention_units: int = 256
    residual_from: int = 3

    def __post_init__(self) -> None:
        check_sizes(self, ("embedding_size", "hidden_size", "attention_units"),
                    ("encoder_layers", "decoder_layers"))
        if self.hidden_size % 2:
            raise ValueError(f"the bidirectional first layer needs an even hidden_size, got "
                             f"{self.hidden_size}")
        if self.residual_from < 2:
            raise ValueError(f"residual_from must be >= 2 (the first layer reads the "
                             f"embedding), got {self.residual_from}")
        if not 0 <= self.dropout < 1:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")


class ResidualLSTMEncoder(nn.Module):
    """source (B, S), source_lengths (B,) -> EncoderMemory(outputs (B, S, H), zero at padding,
    mask (B, S), final_hidden (1, B, H): the top layer's state at each last real token)."""

    def __init__(self, vocab_size: int, config: ResidualLSTMConfig) -> None:
        super().__init__()
        E, H = config.embedding_size, config.hidden_size
        self.residual_from = config.residual_from
        self.embedding = nn.Embedding(vocab_size, E)
        self.layers = nn.ModuleList(
            [MaskedRNN("lstm", E, H // 2, bidirectional=True)]
            + [MaskedRNN("lstm", H, H) for _ in range(config.encoder_layers - 1)])
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, source: Tensor, source_lengths: Tensor) -> EncoderMemory:
        B, S = source.shape
        inputs = self.embedding(source)
        for number, layer in enumerate(self.layers, start=1):
            outputs, (hidden, _) = layer(self.dropout(inputs), source_lengths)
            inputs = outputs + inputs if number >= self.residual_from else outputs
        # the top layer's final state; a bidirectional one (a single layer) as [forward; backward]
        final = hidden.transpose(0, 1).reshape(1, B, -1)
        mask = lengths_to_mask(source_lengths.to(source.device), S)
        return EncoderMemory(inputs, mask, final)


class ResidualLSTMDecoder(nn.Module):
    """tokens (B, T), state ((L, B, H), (L, B, H)), memory -> logits (B, T, V), state,
    weights (B, T, S)."""

    def __init__(self, vocab_size: int, config: ResidualLSTMConfig) -> None:
        super().__init__()
        E, H = config.embedding_size, config.hidden_size
        self.residual_from = config.residual_from
        self.embedding = nn.Embedding(vocab_size, E)
        self.layers = nn.ModuleList(
            [nn.LSTM(E, H, batch_first=True)]
            + [nn.LSTM(2 * H, H, batch_first=True) for _ in range(config.decoder_layers - 1)])
        try:
            self.attention = build_attention(config.attention, H, H, config.attention_units)
        except AttnkitError as error:
            raise AttnkitError(f"model.attention: {error}") from None
        self.dropout = nn.Dropout(config.dropout)
        self.output = nn.Linear(2 * H, vocab_size)

    def forward(self, tokens: Tensor, state: LSTMState,
                memory: EncoderMemory) -> tuple[Tensor, LSTMState, Tensor]:
        hidden, cell = state
        below, (h, c) = self.layers[0](self.dropout(self.embedding(tokens)),
                                       (hidden[:1], cell[:1]))
        context, weights = self.attention(below, memory.outputs, mask=memory.mask)
        new_hidden, new_cell = [h], [c]
        for number, layer in enumerate(self.layers[1:], start=2):
            inputs = torch.cat([self.dropout(below), context], dim=-1)
            outputs, (h, c) = layer(inputs, (hidden[number - 1 : number],
                                             cell[number - 1 : number]))
            below = outputs + below if number >= self.residual_from else outputs
            new_hidden.append(h)
            new_cell.append(c)
        logits = self.output(self.dropout(torch.cat([context, below], dim=-1)))
        return logits, (torch.cat(new_hidden), torch.cat(new_cell)), weights


class ResidualLSTMSeq2Seq(nn.Module):
    """source (B, S) right-padded, source_lengths (B,), target_in (B, T) -> logits (B, T, V)."""

    def __init__(self, source_vocab_size: int, target_vocab_size: int,
                 config: ResidualLSTMConfig | None = None) -> None:
        super().__init__()
        self.config = config = config or ResidualLSTMConfig()
        self.encoder = ResidualLSTMEncoder(source_vocab_size, config)
        self.decoder = ResidualLSTMDecoder(target_vocab_size, config)

    def forward(self, source: Tensor, source_lengths: Tensor, target_in: Tensor) -> Tensor:
        """source (B, S), source_lengths (B,), target_in (B, T) -> logits (B, T, V)."""
        memory = self.encode(source, source_lengths)
        return self.decoder(target_in, self.initial_state(memory), memory)[0]

    def encode(self, source: Tensor, source_lengths: Tensor) -> EncoderMemory:
        return self.encoder(source, source_lengths)

    def initial_state(self, memory: EncoderMemory) -> LSTMState:
        """Zero h and c for every decoder layer, (L, B, H) each."""
        B, H = memory.outputs.shape[0], self.config.hidden_size
        zeros = memory.outputs.new_zeros(self.config.decoder_layers, B, H)
        return zeros, zeros

    def decode_step(self, tokens: Tensor, state: LSTMState,
                    memory: EncoderMemory) -> tuple[Tensor, LSTMState, Tensor]:
        """tokens (B,) -> log_probs (B, V), state, weights (B, S)."""
        logits, state, weights = self.decoder(tokens.unsqueeze(1), state, memory)
        return torch.log_softmax(logits[:, 0].float(), dim=-1), state, weights[:, 0]

    def select_state(self, state: LSTMState, indices: Tensor) -> LSTMState:
        """state (L, B, H) each -> (L, len(indices), H)."""
        return state[0].index_select(1, indices), state[1].index_select(1, indices)

    def select_memory(self, memory: EncoderMemory, indices: Tensor) -> EncoderMemory:
        return EncoderMemory(memory.outputs.index_select(0, indices),
                             memory.mask.index_select(0, indices),
                             memory.final_hidden.index_select(1, indices))
