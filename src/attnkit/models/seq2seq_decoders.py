"""The three decoders of *Deep Learning from Scratch 2*, ch. 7-8: plain, peeky and attention.

Each decoder's `forward(tokens (B, T), state, memory)` runs T steps in one LSTM call and returns
`(logits (B, T, V), state, weights (B, T, S) | None)`. Teacher forcing passes the whole target;
search passes one token (T = 1). None of them feeds the context back into the LSTM, which is what
makes teacher forcing a single call.

Parameters (the NumPy engine uses the same names): `embedding.weight (V, E)`,
`lstm.weight_ih_l{k} (4H, in)`, `lstm.weight_hh_l{k} (4H, H)`, `lstm.bias_ih_l{k}`,
`lstm.bias_hh_l{k}` (gate order i, f, g, o), `output.weight (V, out)`, `output.bias (V,)`, and
for attention kinds with weights, `attention.*`. Input/output sizes: plain in = E, out = H;
peeky in = H + E ([h; embedding]), out = 2H ([h; lstm_out]); attention in = E,
out = 2H ([context; lstm_out]).
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor, nn

from attnkit.layers import build_attention

LSTMState = tuple[Tensor, Tensor]


class EncoderMemory(NamedTuple):
    """What the decoder reads: outputs (B, S, H), mask (B, S) bool True = real token,
    final_hidden (L, B, H): each layer's state at each sequence's last real token."""

    outputs: Tensor
    mask: Tensor
    final_hidden: Tensor


def tanh_via_sigmoid(x: Tensor) -> Tensor:
    """tanh(x) = 2 sigmoid(2x) - 1, to within ~1e-7 absolute."""
    return torch.sigmoid(x * 2.0).mul(2.0).sub_(1.0)


def optional_dropout(rate: float) -> nn.Module:
    return nn.Dropout(rate) if rate > 0 else nn.Identity()


class Decoder(nn.Module):
    """Embedding(V, E) -> LSTM(H) -> Linear(H, V), started from the encoder's final state."""

    def __init__(self, vocab_size: int, embedding_size: int, hidden_size: int,
                 num_layers: int = 1, dropout: float = 0.0) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embedding_size)
        self.lstm = nn.LSTM(self.lstm_input_size(embedding_size, hidden_size), hidden_size,
                            num_layers, batch_first=True, dropout=dropout if num_layers > 1 else 0)
        self.dropout = optional_dropout(dropout)
        self.output = nn.Linear(self.output_input_size(hidden_size), vocab_size)

    def lstm_input_size(self, embedding_size: int, hidden_size: int) -> int:
        return embedding_size

    def output_input_size(self, hidden_size: int) -> int:
        return hidden_size

    def forward(self, tokens: Tensor, state: LSTMState,
                memory: EncoderMemory) -> tuple[Tensor, LSTMState, Tensor | None]:
        """tokens (B, T), state ((L, B, H), (L, B, H)) -> logits (B, T, V), state, None."""
        embedded = self.dropout(self.embedding(tokens))
        outputs, state = self.run_lstm(embedded, state)
        return self.output(self.dropout(outputs)), state, None

    def run_lstm(self, inputs: Tensor, state: LSTMState) -> tuple[Tensor, LSTMState]:
        """inputs (B, T, In) -> outputs (B, T, H), state. One step of a one-layer LSTM (search)
        is computed as a cell: a fused multi-step kernel call costs more than the maths. The
        cell takes tanh as 2 sigmoid(2x) - 1 (absolute error ~1e-7): on this project's CPUs
        torch.tanh costs about 3x a sigmoid per element."""
        if inputs.shape[1] != 1 or self.lstm.num_layers != 1:
            return self.lstm(inputs, state)
        lstm = self.lstm
        gates = torch.addmm(lstm.bias_ih_l0 + lstm.bias_hh_l0, inputs[:, 0], lstm.weight_ih_l0.t())
        gates = gates.addmm(state[0][0], lstm.weight_hh_l0.t())
        H = lstm.hidden_size
        gates[:, 2 * H : 3 * H] *= 2.0  # one sigmoid for all four gates: tanh(x) = 2 s(2x) - 1
        i, f, g, o = torch.sigmoid(gates).chunk(4, dim=1)
        cell = torch.addcmul(f * state[1][0], i, g.mul(2.0).sub_(1.0))
        hidden = o * tanh_via_sigmoid(cell)
        return hidden.unsqueeze(1), (hidden.unsqueeze(0), cell.unsqueeze(0))


class PeekyDecoder(Decoder):
    """The encoder's final top-layer h "peeks" into every step: LSTM input [h; embedding],
    output layer input [h; lstm_out]."""

    def lstm_input_size(self, embedding_size: int, hidden_size: int) -> int:
        return hidden_size + embedding_size

    def output_input_size(self, hidden_size: int) -> int:
        return 2 * hidden_size

    def forward(self, tokens: Tensor, state: LSTMState,
                memory: EncoderMemory) -> tuple[Tensor, LSTMState, Tensor | None]:
        """tokens (B, T), state ((L, B, H), (L, B, H)) -> logits (B, T, V), state, None."""
        B, T = tokens.shape
        peek = memory.final_hidden[-1].unsqueeze(1).expand(B, T, -1)
        embedded = self.dropout(self.embedding(tokens))
        outputs, state = self.run_lstm(torch.cat([peek, embedded], dim=-1), state)
        logits = self.output(self.dropout(torch.cat([peek, outputs], dim=-1)))
        return logits, state, None


class AttentionDecoder(Decoder):
    """LSTM over embeddings; its output queries all encoder outputs; Linear over
    [context; lstm_out] (context first, as the book)."""

    def __init__(self, vocab_size: int, embedding_size: int, hidden_size: int,
                 num_layers: int = 1, dropout: float = 0.0, attention: str = "dot",
                 attention_units: int = 128) -> None:
        super().__init__(vocab_size, embedding_size, hidden_size, num_layers, dropout)
        self.attention = build_attention(attention, hidden_size, hidden_size, attention_units)

    def output_input_size(self, hidden_size: int) -> int:
        return 2 * hidden_size

    def forward(self, tokens: Tensor, state: LSTMState,
                memory: EncoderMemory) -> tuple[Tensor, LSTMState, Tensor | None]:
        """tokens (B, T), state ((L, B, H), (L, B, H)) -> logits (B, T, V), state,
        weights (B, T, S)."""
        embedded = self.dropout(self.embedding(tokens))
        outputs, state = self.run_lstm(embedded, state)
        context, weights = self.attention(outputs, memory.outputs, mask=memory.mask)
        logits = self.output(self.dropout(torch.cat([context, outputs], dim=-1)))
        return logits, state, weights
