"""The LSTM cell maths of the NumPy engine, one step at a time, for (B, 4H) gate blocks in
PyTorch's order (input, forget, cell, output). `activate_gates`/`gate_gradients` are the
readable forms used by `LSTM`; the scaled-exp forms are the fast path used by `TimeLSTM`."""

from __future__ import annotations

import numpy as np
from numpy.typing import DTypeLike

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


def gate_scale(H: int, dtype: DTypeLike) -> np.ndarray:
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


def lstm_cell(gates: np.ndarray, c_prev: np.ndarray, c_next: np.ndarray, tanh_c: np.ndarray,
              h_next: np.ndarray, product: np.ndarray) -> None:
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


def lstm_cell_backward(dpre: np.ndarray, gates: np.ndarray, c_prev: np.ndarray,
                       tanh_c: np.ndarray, dh: np.ndarray, dc: np.ndarray,
                       buffers: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
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
