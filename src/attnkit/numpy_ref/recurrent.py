"""LSTM layers of the NumPy engine with hand-written backward passes.

Weights follow the book's layout, Wx (D, 4H), Wh (H, 4H), with PyTorch's gate order
(input, forget, cell, output) so that converting to torch is a transpose. Like torch, an LSTM has
two biases, bx and bh (4H,), whose sum is the book's b: the maths is the same, but Adam and
global-norm clipping see two parameters, so keeping both makes training match torch step for step.

A boolean mask (B, T), True = real token, makes a layer skip padding
exactly: where the mask is False the state is carried (h_t = h_{t-1}, c_t = c_{t-1}) and the
output is 0, so the final state is the state at each sequence's last real token.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from attnkit.numpy_ref.lstm_cell import (
    activate_gates,
    activate_scaled_gates,
    activation_derivatives,
    gate_gradients,
    gate_scale,
    lstm_cell,
    lstm_cell_backward,
)
from attnkit.numpy_ref.row_blocks import map_row_blocks


class LSTM:
    """One LSTM step: x (N, D), h_prev (N, H), c_prev (N, H) -> h_next (N, H), c_next (N, H)."""

    def __init__(self, Wx: np.ndarray, Wh: np.ndarray, bx: np.ndarray, bh: np.ndarray) -> None:
        self.params = [Wx, Wh, bx, bh]
        self.grads = [np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(bx), np.zeros_like(bh)]
        self.cache: tuple[np.ndarray, ...] | None = None

    def forward(
        self, x: np.ndarray, h_prev: np.ndarray, c_prev: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        Wx, Wh, bx, bh = self.params
        H = Wh.shape[0]
        gates = activate_gates(x @ Wx + h_prev @ Wh + (bx + bh))
        c_next = gates[:, H : 2 * H] * c_prev + gates[:, :H] * gates[:, 2 * H : 3 * H]
        tanh_c = np.tanh(c_next)
        h_next = gates[:, 3 * H :] * tanh_c
        self.cache = (x, h_prev, c_prev, gates, tanh_c)
        return h_next, c_next

    def backward(
        self, dh_next: np.ndarray, dc_next: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """-> dx (N, D), dh_prev (N, H), dc_prev (N, H)."""
        Wx, Wh, _, _ = self.params
        x, h_prev, c_prev, gates, tanh_c = self.cache
        dpre, dc_prev = gate_gradients(gates, tanh_c, c_prev, dh_next, dc_next)
        self.grads[0][...] = x.T @ dpre
        self.grads[1][...] = h_prev.T @ dpre
        self.grads[2][...] = self.grads[3][...] = dpre.sum(axis=0)
        return dpre @ Wx.T, dpre @ Wh.T, dc_prev


@dataclass
class Recurrence:
    """What a TimeLSTM forward pass keeps for backward, time-major: gates (T, B, 4H) activated,
    states_h and states_c (T + 1, B, H) with the initial state first, tanh_cs and outputs
    (T, B, H), step_mask (T, B, 1) | None."""

    time_xs: np.ndarray
    gates: np.ndarray
    states_h: np.ndarray
    states_c: np.ndarray
    tanh_cs: np.ndarray
    outputs: np.ndarray
    step_mask: np.ndarray | None
    zero_start: bool


class TimeLSTM:
    """An LSTM over a whole sequence: xs (B, T, D), mask (B, T) | None -> hs (B, T, H).

    The fast path of `LSTM` (tested equal to a loop of it): the input projection of all steps
    is one matrix product, only h @ Wh runs per step, one exp gives all four gates, and the
    weight gradients are one matrix product each after the backward loop. With `workers` > 1
    blocks of rows run their time loops on threads (see `row_blocks`).
    `stateful=True` keeps (h, c) between calls (set with `set_state`, cleared with
    `reset_state`); otherwise every call starts from zeros. After `backward`, `dh` and `dc`
    hold the gradients with respect to the initial state (None after a zero start).
    """

    def __init__(self, Wx: np.ndarray, Wh: np.ndarray, bx: np.ndarray, bh: np.ndarray,
                 stateful: bool = False, workers: int = 1) -> None:
        self.params = [Wx, Wh, bx, bh]
        self.grads = [np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(bx), np.zeros_like(bh)]
        self.stateful, self.workers = stateful, workers
        self.h: np.ndarray | None = None
        self.c: np.ndarray | None = None
        self.dh: np.ndarray | None = None
        self.dc: np.ndarray | None = None
        self.cache: Recurrence | None = None

    def set_state(self, h: np.ndarray, c: np.ndarray | None = None) -> None:
        """h (B, H), c (B, H) | None (zeros)."""
        self.h, self.c = h, (np.zeros_like(h) if c is None else c)

    def reset_state(self) -> None:
        self.h, self.c = None, None

    def forward(self, xs: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        B, T, D = xs.shape
        Wx, Wh, bx, bh = self.params
        H, dtype = Wh.shape[0], Wh.dtype
        zero_start = not self.stateful or self.h is None
        if zero_start:
            self.set_state(np.zeros((B, H), dtype=dtype))
        scale = gate_scale(H, dtype)
        time_xs = np.ascontiguousarray(xs.transpose(1, 0, 2))
        gates = (time_xs.reshape(T * B, D) @ (Wx * scale)).reshape(T, B, 4 * H)
        gates += (bx + bh) * scale
        run = Recurrence(time_xs, gates, np.empty((T + 1, B, H), dtype=dtype),
                         np.empty((T + 1, B, H), dtype=dtype), np.empty((T, B, H), dtype=dtype),
                         np.empty((T, B, H), dtype=dtype),
                         None if mask is None else np.ascontiguousarray(mask.T)[:, :, None],
                         zero_start)
        run.states_h[0], run.states_c[0] = self.h, self.c
        scaled_Wh = Wh * scale
        map_row_blocks(lambda rows: forward_rows(run, scaled_Wh, rows), B, self.workers)
        self.h, self.c = run.states_h[T], run.states_c[T]
        self.cache = run
        return run.outputs.transpose(1, 0, 2)

    def backward(self, dhs: np.ndarray, dh_last: np.ndarray | None = None) -> np.ndarray:
        """dhs (B, T, H), dh_last (B, H) | None into the final h -> dxs (B, T, D)."""
        B, T, H = dhs.shape
        Wx, Wh, _, _ = self.params
        run = self.cache
        dpre = activation_derivatives(run.gates)
        dh_last = np.zeros((B, H), dtype=Wh.dtype) if dh_last is None else dh_last
        time_dhs = dhs.transpose(1, 0, 2)
        time_dxs = np.empty((T, B, Wx.shape[0]), dtype=Wx.dtype)

        def block(rows: slice) -> tuple:
            start_grads = backward_rows(run, dpre, time_dhs, dh_last, Wh, rows)
            return start_grads, weight_gradients(run, dpre, Wx, rows, time_dxs)

        blocks = map_row_blocks(block, B, self.workers)
        self.dh, self.dc = (None, None) if run.zero_start else (
            np.concatenate([start[0] for start, _ in blocks]),
            np.concatenate([start[1] for start, _ in blocks]))
        for k, grad in enumerate(self.grads[:3]):
            grad[...] = sum(grads[k] for _, grads in blocks)
        self.grads[3][...] = self.grads[2]
        return time_dxs.transpose(1, 0, 2)


def weight_gradients(run: Recurrence, dpre: np.ndarray, Wx: np.ndarray, rows: slice,
                     time_dxs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One block of rows' share of dWx (D, 4H), dWh (H, 4H), db (4H,), each one matrix product
    over all steps; writes the block's input gradients into time_dxs (T, B, D)."""
    block_dpre = dpre[:, rows]
    first = 1 if run.zero_start else 0  # the zero state adds nothing to dWh
    dWx = np.tensordot(run.time_xs[:, rows], block_dpre, axes=([0, 1], [0, 1]))
    dWh = np.tensordot(run.states_h[first:-1, rows], block_dpre[first:], axes=([0, 1], [0, 1]))
    np.matmul(block_dpre, Wx.T, out=time_dxs[:, rows])
    return dWx, dWh, block_dpre.sum(axis=(0, 1))


def forward_rows(run: Recurrence, scaled_Wh: np.ndarray, rows: slice) -> None:
    """The time loop of a TimeLSTM forward pass for one block of rows, filling `run` in place."""
    T, B, H = run.outputs.shape
    b = rows.stop - rows.start
    recurrent = np.empty((b, 4 * H), dtype=scaled_Wh.dtype)
    product = np.empty((b, H), dtype=scaled_Wh.dtype)
    states_h, states_c = run.states_h[:, rows], run.states_c[:, rows]
    with np.errstate(over="ignore"):
        for t in range(T):
            gates = run.gates[t, rows]
            if t > 0 or not run.zero_start:  # h @ Wh is 0 from the zero state
                gates += np.matmul(states_h[t], scaled_Wh, out=recurrent)
            activate_scaled_gates(gates)
            output = run.outputs[t, rows]
            lstm_cell(gates, states_c[t], states_c[t + 1], run.tanh_cs[t, rows], output, product)
            states_h[t + 1] = output
            keep = None if run.step_mask is None else run.step_mask[t, rows]
            if keep is not None and not keep.all():
                np.copyto(states_h[t + 1], states_h[t], where=~keep)
                np.copyto(states_c[t + 1], states_c[t], where=~keep)
                output *= keep


def backward_rows(run: Recurrence, dpre: np.ndarray, time_dhs: np.ndarray, dh_last: np.ndarray,
                  Wh: np.ndarray, rows: slice) -> tuple[np.ndarray | None, np.ndarray | None]:
    """The time loop of a TimeLSTM backward pass for one block of rows: turns dpre[:, rows]
    (activation derivatives) into pre-activation gradients. -> dh, dc of the initial state."""
    T = dpre.shape[0]
    dh = dh_last[rows].copy()
    dc = np.zeros_like(dh)
    buffers = np.empty_like(dh), np.empty_like(dh)
    for t in reversed(range(T)):
        keep = None if run.step_mask is None else run.step_mask[t, rows]
        keep = None if keep is None or keep.all() else keep
        dh_new = dh + time_dhs[t, rows]
        dc_new = dc
        if keep is not None:
            dh_new *= keep
            dc_new = dc * keep
        dc_prev = lstm_cell_backward(dpre[t, rows], run.gates[t, rows], run.states_c[t, rows],
                                     run.tanh_cs[t, rows], dh_new, dc_new, buffers)
        if t == 0 and run.zero_start:
            return None, None
        dh_prev = dpre[t, rows] @ Wh.T
        if keep is not None:
            dh_prev += dh * ~keep
            dc_prev += dc * ~keep
        dh, dc = dh_prev, dc_prev
    return dh, dc


def reverse_within_length(xs: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
    """xs (B, T, ...) with each row's real tokens reversed in place, padding left where it is."""
    B, T = xs.shape[:2]
    if mask is None:
        return xs[:, ::-1]
    lengths = mask.sum(axis=1, keepdims=True)
    positions = np.arange(T)[None, :]
    index = np.where(positions < lengths, lengths - 1 - positions, positions)
    return xs[np.arange(B)[:, None], index]


class TimeBiLSTM:
    """Two TimeLSTMs, one reading each row backwards: xs (B, T, D), mask -> hs (B, T, 2H)
    as [forward; backward] on the last axis."""

    def __init__(self, forward_weights: tuple, backward_weights: tuple) -> None:
        self.forward_lstm = TimeLSTM(*forward_weights)
        self.backward_lstm = TimeLSTM(*backward_weights)
        self.params = self.forward_lstm.params + self.backward_lstm.params
        self.grads = self.forward_lstm.grads + self.backward_lstm.grads
        self.mask: np.ndarray | None = None

    def forward(self, xs: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        self.mask = mask
        forward_hs = self.forward_lstm.forward(xs, mask)
        backward_hs = self.backward_lstm.forward(reverse_within_length(xs, mask), mask)
        return np.concatenate([forward_hs, reverse_within_length(backward_hs, self.mask)], axis=2)

    def backward(self, dhs: np.ndarray) -> np.ndarray:
        H = dhs.shape[2] // 2
        dxs = self.forward_lstm.backward(np.ascontiguousarray(dhs[:, :, :H]))
        reversed_dhs = reverse_within_length(dhs[:, :, H:], self.mask)
        return dxs + reverse_within_length(self.backward_lstm.backward(reversed_dhs), self.mask)
