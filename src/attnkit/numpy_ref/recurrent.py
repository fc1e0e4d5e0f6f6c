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

import numpy as np

from attnkit.numpy_ref.activations import sigmoid


def activate_gates(preactivations: np.ndarray) -> np.ndarray:
    """In place: sigmoid on the i, f, o blocks and tanh on the g block of (N, 4H)."""
    H = preactivations.shape[-1] // 4
    sigmoid(preactivations[:, : 2 * H], out=preactivations[:, : 2 * H])
    np.tanh(preactivations[:, 2 * H : 3 * H], out=preactivations[:, 2 * H : 3 * H])
    sigmoid(preactivations[:, 3 * H :], out=preactivations[:, 3 * H :])
    return preactivations


def gate_gradients(
    gates: np.ndarray, tanh_c: np.ndarray, c_prev: np.ndarray, dh: np.ndarray, dc: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """One step of LSTM backward: gates (N, 4H) activated, dh and dc (N, H) into the new state
    -> d pre-activations (N, 4H), dc_prev (N, H)."""
    H = dh.shape[-1]
    i, f, g, o = gates[:, :H], gates[:, H : 2 * H], gates[:, 2 * H : 3 * H], gates[:, 3 * H :]
    dc = dc + dh * o * (1.0 - tanh_c * tanh_c)
    dpre = np.empty_like(gates)
    np.multiply(dc * g, i * (1.0 - i), out=dpre[:, :H])
    np.multiply(dc * c_prev, f * (1.0 - f), out=dpre[:, H : 2 * H])
    np.multiply(dc * i, 1.0 - g * g, out=dpre[:, 2 * H : 3 * H])
    np.multiply(dh * tanh_c, o * (1.0 - o), out=dpre[:, 3 * H :])
    return dpre, dc * f


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


def gate_scale(H: int, dtype) -> np.ndarray:
    """(4H,): -1 for the sigmoid gates i, f, o and -2 for g, so that one exp serves all four:
    sigmoid(x) = 1 / (1 + exp(-x)) and tanh(x) = 2 / (1 + exp(-2x)) - 1 (np.tanh is several
    times slower than np.exp). Scaling by -1 and -2 is exact in floating point."""
    scale = np.full(4 * H, -1.0, dtype=dtype)
    scale[2 * H : 3 * H] = -2.0
    return scale


def tanh_via_exp(x: np.ndarray, out: np.ndarray) -> np.ndarray:
    """tanh(x) = 2 / (1 + exp(-2x)) - 1, written into `out`; overflow to inf gives -1."""
    np.multiply(x, -2.0, out=out)
    np.exp(out, out=out)
    out += 1.0
    np.reciprocal(out, out=out)
    out *= 2.0
    out -= 1.0
    return out


class TimeLSTM:
    """An LSTM over a whole sequence: xs (B, T, D), mask (B, T) | None -> hs (B, T, H).

    The fast path of `LSTM` (tested equal to a loop of it): the input projection of all steps
    is one matrix product, only h @ Wh runs per step, one exp gives all four gates, and the
    weight gradients are one matrix product each after the backward loop.
    `stateful=True` keeps (h, c) between calls (set with `set_state`, cleared with
    `reset_state`); otherwise every call starts from zeros. After `backward`, `dh` and `dc`
    hold the gradients with respect to the initial state.
    """

    def __init__(self, Wx: np.ndarray, Wh: np.ndarray, bx: np.ndarray, bh: np.ndarray,
                 stateful: bool = False) -> None:
        self.params = [Wx, Wh, bx, bh]
        self.grads = [np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(bx), np.zeros_like(bh)]
        self.stateful = stateful
        self.h: np.ndarray | None = None
        self.c: np.ndarray | None = None
        self.dh: np.ndarray | None = None
        self.dc: np.ndarray | None = None
        self.cache: tuple | None = None

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
        gates = (time_xs.reshape(T * B, D) @ (Wx * scale) + (bx + bh) * scale).reshape(T, B, 4 * H)
        scaled_Wh = Wh * scale
        states_h = np.empty((T + 1, B, H), dtype=dtype)
        states_c = np.empty((T + 1, B, H), dtype=dtype)
        tanh_cs = np.empty((T, B, H), dtype=dtype)
        outputs = np.empty((T, B, H), dtype=dtype)
        recurrent, product = np.empty((B, 4 * H), dtype=dtype), np.empty((B, H), dtype=dtype)
        states_h[0], states_c[0] = self.h, self.c
        step_mask = None if mask is None else np.ascontiguousarray(mask.T)[:, :, None]
        with np.errstate(over="ignore"):
            for t in range(T):
                if t > 0 or not zero_start:  # h @ Wh is 0 from the zero state
                    gates[t] += np.matmul(states_h[t], scaled_Wh, out=recurrent)
                activate_scaled_gates(gates[t])
                lstm_cell(gates[t], states_c[t], states_c[t + 1], tanh_cs[t], outputs[t], product)
                states_h[t + 1] = outputs[t]
                if step_mask is not None and not step_mask[t].all():
                    keep = step_mask[t]
                    np.copyto(states_h[t + 1], states_h[t], where=~keep)
                    np.copyto(states_c[t + 1], states_c[t], where=~keep)
                    outputs[t] *= keep
        self.h, self.c = states_h[T], states_c[T]
        self.cache = (time_xs, gates, states_h, states_c, tanh_cs, step_mask, zero_start)
        return outputs.transpose(1, 0, 2)

    def backward(self, dhs: np.ndarray, dh_last: np.ndarray | None = None) -> np.ndarray:
        """dhs (B, T, H), dh_last (B, H) | None into the final h -> dxs (B, T, D).
        `dh`, `dc` are left None when the forward pass started from the zero state."""
        B, T, H = dhs.shape
        Wx, Wh, _, _ = self.params
        time_xs, gates, states_h, states_c, tanh_cs, step_mask, zero_start = self.cache
        time_dhs = dhs.transpose(1, 0, 2)
        dpre = activation_derivatives(gates)
        dh = np.zeros((B, H), dtype=Wh.dtype) if dh_last is None else dh_last.copy()
        dc = np.zeros((B, H), dtype=Wh.dtype)
        buffers = np.empty_like(dc), np.empty_like(dc)
        for t in reversed(range(T)):
            keep = None if step_mask is None or step_mask[t].all() else step_mask[t]
            dh_new = dh + time_dhs[t]
            dc_new = dc
            if keep is not None:
                dh_new *= keep
                dc_new = dc * keep
            dc_prev = lstm_cell_backward(dpre[t], gates[t], states_c[t], tanh_cs[t], dh_new,
                                         dc_new, buffers)
            if t == 0 and zero_start:
                dh, dc = None, None
                break
            dh_prev = dpre[t] @ Wh.T
            if keep is not None:
                dh_prev += dh * ~keep
                dc_prev += dc * ~keep
            dh, dc = dh_prev, dc_prev
        self.dh, self.dc = dh, dc
        flat_dpre = dpre.reshape(T * B, 4 * H)
        first = B if zero_start else 0  # the zero state adds nothing to dWh
        self.grads[0][...] = time_xs.reshape(T * B, -1).T @ flat_dpre
        self.grads[1][...] = states_h[:T].reshape(T * B, H)[first:].T @ flat_dpre[first:]
        self.grads[2][...] = self.grads[3][...] = flat_dpre.sum(axis=0)
        return (flat_dpre @ Wx.T).reshape(T, B, -1).transpose(1, 0, 2)


def activate_scaled_gates(gates: np.ndarray) -> None:
    """In place on (B, 4H) pre-activations scaled by `gate_scale`: 1 / (1 + exp(.)) gives
    sigmoid for i, f, o and, rescaled to 2 s - 1, tanh for g."""
    H = gates.shape[1] // 4
    np.exp(gates, out=gates)
    gates += 1.0
    np.reciprocal(gates, out=gates)
    g = gates[:, 2 * H : 3 * H]
    g *= 2.0
    g -= 1.0


def lstm_cell(gates, c_prev, c_next, tanh_c, h_next, product) -> None:
    """c_next = f c_prev + i g, tanh_c = tanh(c_next), h_next = o tanh_c; all (B, H), written
    into the given arrays; gates (B, 4H) activated."""
    H = c_prev.shape[1]
    np.multiply(gates[:, H : 2 * H], c_prev, out=c_next)
    c_next += np.multiply(gates[:, :H], gates[:, 2 * H : 3 * H], out=product)
    np.multiply(gates[:, 3 * H :], tanh_via_exp(c_next, tanh_c), out=h_next)


def activation_derivatives(gates: np.ndarray) -> np.ndarray:
    """(T, B, 4H) activated gates -> s (1 - s) for i, f, o and 1 - g^2 for g, all steps at once."""
    H = gates.shape[2] // 4
    derivatives = np.subtract(1.0, gates)
    derivatives *= gates
    g, dg = gates[:, :, 2 * H : 3 * H], derivatives[:, :, 2 * H : 3 * H]
    np.multiply(g, g, out=dg)
    np.subtract(1.0, dg, out=dg)
    return derivatives


def lstm_cell_backward(dpre, gates, c_prev, tanh_c, dh, dc, buffers) -> np.ndarray:
    """In place: dpre (B, 4H) holding the activation derivatives becomes the gradient of the
    pre-activations; dh, dc (B, H) reach the step's new state. -> dc_prev (B, H)."""
    H = dh.shape[1]
    dc_total, product = buffers
    i, f, g, o = (gates[:, k * H : (k + 1) * H] for k in range(4))
    np.multiply(tanh_c, tanh_c, out=dc_total)
    np.subtract(1.0, dc_total, out=dc_total)
    dc_total *= o
    dc_total *= dh
    dc_total += dc
    dpre[:, :H] *= np.multiply(dc_total, g, out=product)
    dpre[:, H : 2 * H] *= np.multiply(dc_total, c_prev, out=product)
    dpre[:, 2 * H : 3 * H] *= np.multiply(dc_total, i, out=product)
    dpre[:, 3 * H :] *= np.multiply(dh, tanh_c, out=product)
    return dc_total * f


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
