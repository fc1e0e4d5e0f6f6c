"""Exact masked (bi)LSTM/GRU encoders for right-padded batches, fast on CPU without packing.

On CPU, ``pack_padded_sequence`` sends an LSTM to a step-by-step fallback that is 30-50x
slower than the fused oneDNN kernel, but the fused kernel over a padded batch is inexact: the
backward direction starts on padding and the final states are taken after the padding.

``MaskedRNN`` runs the fused kernel once per layer and direction over the whole padded batch,
in a layout where each sequence's padding comes *before* its tokens: the forward direction sees
every row rolled right by ``S - length``, the backward direction sees the time-flipped batch
(one row gather each way, ``_row_maps``). The biases are moved into the input weights, as the
weights of an extra input column that is 1 at real tokens and 0 at padding, and padded steps
get all-zero features (``_flagged_rows``). At a padded step from the
zero state every gate pre-activation is then exactly 0, so the state stays exactly zero
(LSTM: ``c = 0.5 * 0 + 0.5 * tanh(0)``); the real tokens start from the true zero state and the
kernel's final state is each sequence's state at its last real token. A GRU adds its hidden
bias ``b_hn`` inside ``r * (W_hn h + b_hn)``, so it keeps ``b_hn`` as a kernel bias and gets a
second column, 1 at padding, that cancels ``r * b_hn = 0.5 * b_hn`` there.

On CUDA the module packs (cuDNN is fast with packing); both paths give the same result.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from attnkit.errors import AttnkitError

RNN_MODES = {"lstm": nn.LSTM, "gru": nn.GRU}

RecurrentState = Tensor | tuple[Tensor, Tensor]


class MaskedRNN(nn.Module):
    """A (bi)LSTM/GRU encoder with exact per-sequence results on right-padded batches.

    The parameters live in ``self.rnn``, a plain ``nn.LSTM``/``nn.GRU`` (``batch_first=True``),
    so the state_dict has the usual keys (``rnn.weight_ih_l0``, ...), the initialisation is
    PyTorch's, and weights load from or into an ``nn.LSTM``/``nn.GRU`` of the same shape.
    """

    def __init__(
        self,
        mode: str,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bidirectional: bool = False,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        if mode not in RNN_MODES:
            raise AttnkitError(f"unknown recurrent mode {mode!r}; "
                               f"choose one of {sorted(RNN_MODES)}")
        for name, value in (("input_size", input_size), ("hidden_size", hidden_size),
                            ("num_layers", num_layers)):
            if not isinstance(value, int) or value < 1:
                raise AttnkitError(f"{name} must be a positive integer, got {value!r}")
        if not 0.0 <= dropout < 1.0:
            raise AttnkitError(f"dropout must be in [0, 1), got {dropout}")
        self.mode = mode
        self.num_directions = 2 if bidirectional else 1
        # nn.LSTM warns about dropout with one layer, where it has no effect; so does this module.
        self.rnn = RNN_MODES[mode](
            input_size, hidden_size, num_layers, batch_first=True,
            dropout=dropout if num_layers > 1 else 0.0, bidirectional=bidirectional,
        )

    @property
    def output_size(self) -> int:
        """D * H, the size of each output vector (D = 2 if bidirectional else 1)."""
        return self.num_directions * self.rnn.hidden_size

    def forward(
        self, inputs: Tensor, lengths: Tensor, state: RecurrentState | None = None
    ) -> tuple[Tensor, RecurrentState]:
        """inputs (B, S, E), lengths (B,) -> outputs (B, S, D*H), state.

        Rows are right-padded: row b holds lengths[b] real steps, 1 <= lengths[b] <= S.
        Outputs are exactly 0 at padding. The state is what ``nn.LSTM``/``nn.GRU`` return,
        ``(h_n, c_n)`` or ``h_n``, each (L*D, B, H), taken at each sequence's last real token
        (for the backward direction: after its first token). Encoding always starts from the
        zero state: ``state`` exists for signature compatibility and must be None.
        """
        if state is not None:
            raise NotImplementedError(
                "MaskedRNN always starts from the zero state; pass state=None "
                "(decoders that need an initial state use nn.LSTM/nn.GRU directly)"
            )
        lengths = self._check(inputs, lengths)
        if inputs.is_cuda:
            return packed_forward(self.rnn, inputs, lengths)
        return self._forward_rolled(inputs, lengths)

    def _check(self, inputs: Tensor, lengths: Tensor) -> Tensor:
        if inputs.dim() != 3 or inputs.shape[2] != self.rnn.input_size:
            raise AttnkitError(f"inputs must have shape (B, S, {self.rnn.input_size}), "
                               f"got {tuple(inputs.shape)}")
        B, S, _ = inputs.shape
        if lengths.shape != (B,) or lengths.dtype.is_floating_point:
            raise AttnkitError(f"lengths must be an integer tensor of shape ({B},), "
                               f"got {lengths.dtype} {tuple(lengths.shape)}")
        # Checking values reads them: torch.export cannot trace that (the exported graph
        # runs on lengths it has never seen), so the check is left to eager calls.
        if B > 0 and not torch.compiler.is_exporting() and (
                int(lengths.min()) < 1 or int(lengths.max()) > S):
            raise AttnkitError(f"lengths must lie in [1, {S}] (the padded length), "
                               f"got min {int(lengths.min())}, max {int(lengths.max())}")
        return lengths.to(device=inputs.device, dtype=torch.long)

    def _forward_rolled(self, inputs: Tensor, lengths: Tensor) -> tuple[Tensor, RecurrentState]:
        B, S, _ = inputs.shape
        maps = _row_maps(lengths, S)
        layer_input, finals = inputs, []
        for layer in range(self.rnn.num_layers):
            table = _flagged_rows(layer_input)
            outputs = []
            for direction in range(self.num_directions):
                sequence = table.index_select(0, maps[direction][0]).view(S, B, -1)
                output, final = self._run_kernel(sequence, layer, direction)
                outputs.append(output.view(S * B, -1).index_select(0, maps[direction][1]))
                finals.append(final)
            layer_input = torch.cat(outputs, dim=1).view(B, S, -1)
            if layer < self.rnn.num_layers - 1 and self.rnn.dropout > 0:
                layer_input = nn.functional.dropout(layer_input, self.rnn.dropout, self.training)
        if self.mode == "lstm":
            h_n, c_n = zip(*finals, strict=True)
            return layer_input, (torch.cat(h_n), torch.cat(c_n))
        return layer_input, torch.cat(finals)

    def _run_kernel(
        self, sequence: Tensor, layer: int, direction: int
    ) -> tuple[Tensor, RecurrentState]:
        """One fused single-layer pass: sequence (S, B, E+2) -> output (S, B, H), final state.

        The two extra input features are the flags of ``_flagged_rows``: (1, 0) at real tokens,
        (0, 1) at padding; the biases become the weights of these flag columns.
        """
        suffix = f"_l{layer}" + ("_reverse" if direction == 1 else "")
        w_ih = getattr(self.rnn, "weight_ih" + suffix)
        w_hh = getattr(self.rnn, "weight_hh" + suffix)
        b_ih = getattr(self.rnn, "bias_ih" + suffix)
        b_hh = getattr(self.rnn, "bias_hh" + suffix)
        B, H = sequence.shape[1], self.rnn.hidden_size
        zeros = sequence.new_zeros(1, B, H)
        pad_column = torch.zeros_like(b_ih)
        # torch.lstm / torch.gru are the fused kernels that nn.LSTM / nn.GRU call themselves.
        if self.mode == "lstm":
            weights = [_with_columns(w_ih, b_ih + b_hh, pad_column), w_hh]
            output, h_n, c_n = torch.lstm(sequence, (zeros, zeros), weights, False, 1, 0.0,
                                          self.training, False, False)
            return output, (h_n, c_n)
        gates = 2 * H  # reset and update gates: both biases are plain sums, fold them
        real_column = torch.cat([b_ih[:gates] + b_hh[:gates], b_ih[gates:]])
        pad_column = torch.cat([pad_column[:gates], -0.5 * b_hh[gates:]])
        kernel_b_hh = torch.cat([torch.zeros_like(b_hh[:gates]), b_hh[gates:]])
        weights = [_with_columns(w_ih, real_column, pad_column), w_hh,
                   torch.zeros_like(b_ih), kernel_b_hh]
        output, h_n = torch.gru(sequence, zeros, weights, True, 1, 0.0, self.training, False, False)
        return output, h_n


def _row_maps(lengths: Tensor, S: int) -> list[tuple[Tensor, Tensor]]:
    """Per direction, row indices (S*B,) for index_select: (into the kernel, back out).

    Into the kernel's time-major layout (row k*B + b), where row b's padding comes first
    (position k is real when k >= S - lengths[b]): the forward direction reads batch row
    b*S + k - (S - lengths[b]), the backward direction b*S + S - 1 - k, and padding reads the
    padding row B*S of ``_flagged_rows``. Back out to batch-major rows (b*S + t), a real
    position reads its kernel row and a padded one a padded kernel row, whose output is 0.
    """
    B = lengths.shape[0]
    k = torch.arange(S, device=lengths.device)
    row = torch.arange(B, device=lengths.device)[:, None] * S
    start = S - lengths[:, None]
    real = k >= start
    forward_in = torch.where(real, row + k - start, B * S)
    backward_in = torch.where(real, row + S - 1 - k, B * S)
    batch = torch.arange(B, device=lengths.device)[:, None]
    shifted = k + start  # < 2S; wrapped without `% S`, which ONNX export cannot take
    forward_out = torch.where(shifted >= S, shifted - S, shifted) * B + batch
    backward_out = (S - 1 - k) * B + batch
    return [(forward_in.t().flatten(), forward_out.flatten()),
            (backward_in.t().flatten(), backward_out.flatten())]


def _flagged_rows(layer_input: Tensor) -> Tensor:
    """(B, S, E) -> (B*S + 1, E + 2): every position's features with flags (1, 0) for 'real',
    then one padding row (0, ..., 0, 0, 1): zero features, flag 'padding'."""
    B, S, E = layer_input.shape
    table = nn.functional.pad(layer_input.reshape(B * S, E), (0, 2, 0, 1))
    table[:-1, E] = 1.0
    table[-1, E + 1] = 1.0
    return table


def _with_columns(weight: Tensor, real_column: Tensor, pad_column: Tensor) -> Tensor:
    """weight (G, E) -> (G, E+2): the weights of the 'real token' and 'padding' input columns."""
    return torch.cat([weight, real_column[:, None], pad_column[:, None]], dim=1)


def packed_forward(
    rnn: nn.RNNBase, inputs: Tensor, lengths: Tensor
) -> tuple[Tensor, RecurrentState]:
    """The packed reference: a batch_first nn.LSTM/nn.GRU over inputs (B, S, E), lengths (B,).

    Returns outputs (B, S, D*H), zero at padding, and the state ``rnn`` returns. Exact, fast on
    CUDA, slow on CPU; MaskedRNN uses it on CUDA and the tests and benchmark use it as reference.
    """
    S = inputs.shape[1]
    packed = pack_padded_sequence(inputs, lengths.cpu(), batch_first=True, enforce_sorted=False)
    packed_outputs, state = rnn(packed)
    outputs, _ = pad_packed_sequence(packed_outputs, batch_first=True, total_length=S)
    return outputs, state
