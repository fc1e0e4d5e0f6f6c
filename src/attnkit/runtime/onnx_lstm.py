"""Masked LSTM encoders as ONNX's own `LSTM` node, which ONNX Runtime runs as one fused kernel.

Traced through `torch.export`, a `MaskedRNN` LSTM becomes a while loop of small nodes, which
ONNX Runtime runs step by step (and its int8 quantiser leaves alone). For ONNX export,
`with_onnx_lstms` swaps each such encoder for `LstmSequence`, whose whole (bi)directional pass
is one custom op, `attnkit::lstm_sequence`; `TRANSLATIONS` writes that op as an ONNX `LSTM`
with `sequence_lens`. Its semantics are MaskedRNN's: each row runs over its own length
(the backward direction starts at the row's last token), the outputs are 0 at padding and the
final states are taken at the row's ends. ONNX Runtime's int8 quantiser turns the node into
its `DynamicQuantizeLSTM`.

ONNX orders an LSTM's gates input, output, forget, cell; torch orders them input, forget,
cell, output (`ONNX_GATE_ORDER`).
"""

from __future__ import annotations

import copy

import torch
from torch import Tensor, nn

from attnkit.layers.recurrent import MaskedRNN

ONNX_GATE_ORDER = (0, 3, 1, 2)  # torch's gate blocks (i, f, g, o) taken as ONNX's (i, o, f, c)


@torch.library.custom_op("attnkit::lstm_sequence", mutates_args=())
def lstm_sequence(inputs: Tensor, lengths: Tensor, w: Tensor, r: Tensor, b: Tensor,
                  hidden_size: int) -> tuple[Tensor, Tensor, Tensor]:
    """inputs (B, S, E), lengths (B,), ONNX LSTM weights w (D, 4H, E), r (D, 4H, H),
    b (D, 8H) -> outputs (B, S, D*H) (0 at padding), h_n (D, B, H), c_n (D, B, H).

    A step-by-step reference in plain torch (the ONNX graph runs ONNX Runtime's kernel)."""
    B, S, _ = inputs.shape
    H = hidden_size
    outputs, finals_h, finals_c = [], [], []
    for direction in range(w.shape[0]):
        h, c = inputs.new_zeros(B, H), inputs.new_zeros(B, H)
        output = inputs.new_zeros(B, S, H)
        steps = range(S) if direction == 0 else range(S - 1, -1, -1)
        bias = b[direction, :4 * H] + b[direction, 4 * H:]
        for t in steps:
            live = (t < lengths)[:, None]
            gates = inputs[:, t] @ w[direction].T + h @ r[direction].T + bias
            i, o, f, g = gates.chunk(4, dim=1)
            c_next = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            h_next = torch.sigmoid(o) * torch.tanh(c_next)
            c, h = torch.where(live, c_next, c), torch.where(live, h_next, h)
            output[:, t] = torch.where(live, h_next, 0.0)
        outputs.append(output)
        finals_h.append(h)
        finals_c.append(c)
    return torch.cat(outputs, dim=2), torch.stack(finals_h), torch.stack(finals_c)


@lstm_sequence.register_fake
def _(inputs: Tensor, lengths: Tensor, w: Tensor, r: Tensor, b: Tensor,
      hidden_size: int) -> tuple[Tensor, Tensor, Tensor]:
    B, S, _ = inputs.shape
    D = w.shape[0]
    return (inputs.new_empty(B, S, D * hidden_size), inputs.new_empty(D, B, hidden_size),
            inputs.new_empty(D, B, hidden_size))


def lstm_sequence_onnx(inputs, lengths, w, r, b, hidden_size: int):  # noqa: ANN001, ANN201
    """The ONNX nodes of `lstm_sequence` (an onnxscript translation for torch.onnx.export)."""
    from onnxscript import opset18 as op

    directions = w.shape[0]
    y, h_n, c_n = op.LSTM(op.Transpose(inputs, perm=[1, 0, 2]), w, r, b,
                          op.Cast(lengths, to=6),  # int32, as sequence_lens must be
                          direction="bidirectional" if directions == 2 else "forward",
                          hidden_size=hidden_size)
    # y (S, D, B, H) -> (B, S, D, H) -> (B, S, D*H)
    outputs = op.Reshape(op.Transpose(y, perm=[2, 0, 1, 3]),
                         op.Constant(value_ints=[0, 0, -1]))
    return outputs, h_n, c_n


def translations() -> dict:
    """torch.onnx.export's custom_translation_table entry for `lstm_sequence`."""
    return {torch.ops.attnkit.lstm_sequence.default: lstm_sequence_onnx}


class LstmSequence(nn.Module):
    """A MaskedRNN LSTM's layers as `lstm_sequence` calls, with its weights in ONNX's layout:
    inputs (B, S, E), lengths (B,) -> outputs (B, S, D*H), (h_n, c_n) each (L*D, B, H),
    as MaskedRNN returns them."""

    def __init__(self, encoder: MaskedRNN) -> None:
        super().__init__()
        rnn = encoder.rnn
        self.hidden_size = rnn.hidden_size
        suffixes = ["", "_reverse"][:encoder.num_directions]
        for layer in range(rnn.num_layers):
            def stacked(name: str, layer: int = layer) -> Tensor:
                return torch.stack([onnx_gates(getattr(rnn, f"{name}_l{layer}{suffix}"))
                                    for suffix in suffixes]).detach()
            self.register_buffer(f"w{layer}", stacked("weight_ih"))
            self.register_buffer(f"r{layer}", stacked("weight_hh"))
            self.register_buffer(f"b{layer}", torch.cat([stacked("bias_ih"),
                                                         stacked("bias_hh")], dim=1))
        self.num_layers = rnn.num_layers

    def forward(self, inputs: Tensor, lengths: Tensor,
                state: None = None) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        finals_h, finals_c = [], []
        for layer in range(self.num_layers):
            inputs, h_n, c_n = lstm_sequence(
                inputs, lengths, getattr(self, f"w{layer}"), getattr(self, f"r{layer}"),
                getattr(self, f"b{layer}"), self.hidden_size)
            finals_h.append(h_n)
            finals_c.append(c_n)
        return inputs, (torch.cat(finals_h), torch.cat(finals_c))


def onnx_gates(weight: Tensor) -> Tensor:
    """A torch LSTM weight or bias (4H, ...) with its gate blocks in ONNX's order."""
    return torch.cat([weight.chunk(4)[block] for block in ONNX_GATE_ORDER])


def with_onnx_lstms(module: nn.Module) -> nn.Module:
    """A copy of `module` (eval mode) in which every MaskedRNN LSTM is an `LstmSequence`;
    `module` itself is unchanged. GRU encoders stay as they are."""
    swapped = copy.deepcopy(module).eval()
    for parent in list(swapped.modules()):
        for name, child in list(parent.named_children()):
            if isinstance(child, MaskedRNN) and child.mode == "lstm":
                setattr(parent, name, LstmSequence(child))
    return swapped
