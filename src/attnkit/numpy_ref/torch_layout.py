"""NumPy parameters <-> the torch seq2seq models' state_dict names and layouts, in NumPy alone.

The NumPy layers keep the book's layout: Wx (D, 4H), Wh (H, 4H), W (D, K); torch stores
weight_ih (4H, D), weight_hh (4H, H) and Linear weights (K, D). The gate order (i, f, g, o) and
the two LSTM biases (bx = bias_ih, bh = bias_hh) are the same, so a round trip is exact.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import DTypeLike

from attnkit.errors import AttnkitError

# NumPy layer name -> torch module name (attnkit.models.seq2seq)
TORCH_LAYER_NAMES = {
    "encoder.embedding": "encoder.embedding",
    "encoder.lstm": "encoder.rnn.rnn",
    "decoder.embedding": "decoder.embedding",
    "decoder.lstm": "decoder.lstm",
    "decoder.affine": "decoder.output",
}


def to_torch_layout(arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """NumPy-named parameters (a model's `state_dict()`) -> torch state_dict names and layouts."""
    state: dict[str, np.ndarray] = {}
    for name, value in arrays.items():
        layer, param = name.rsplit(".", 1)
        prefix = TORCH_LAYER_NAMES[layer]
        if param == "weight":
            state[f"{prefix}.weight"] = value.copy()
        elif param == "W":
            state[f"{prefix}.weight"] = np.ascontiguousarray(value.T)
        elif param == "Wx":
            state[f"{prefix}.weight_ih_l0"] = np.ascontiguousarray(value.T)
        elif param == "Wh":
            state[f"{prefix}.weight_hh_l0"] = np.ascontiguousarray(value.T)
        elif param in ("bx", "bh"):
            state[f"{prefix}.bias_{'ih' if param == 'bx' else 'hh'}_l0"] = value.copy()
        else:
            state[f"{prefix}.bias"] = value.copy()
    return state


def from_torch_layout(state: dict[str, np.ndarray], names: list[str],
                      dtype: DTypeLike = np.float32) -> dict[str, np.ndarray]:
    """A torch state_dict (as arrays) -> the parameters `names` of a NumPy model, in `dtype`.
    Keys must match exactly; a mismatch is an AttnkitError naming the keys."""
    expected = set(to_torch_layout({name: np.zeros(1) for name in names}))
    if set(state) != expected:
        missing, unexpected = sorted(expected - set(state)), sorted(set(state) - expected)
        raise AttnkitError(f"checkpoint weights do not fit the NumPy model: missing {missing}, "
                           f"unexpected {unexpected}")
    arrays: dict[str, np.ndarray] = {}
    for name in names:
        layer, param = name.rsplit(".", 1)
        prefix = TORCH_LAYER_NAMES[layer]
        if param == "weight":
            value = state[f"{prefix}.weight"]
        elif param == "W":
            value = state[f"{prefix}.weight"].T
        elif param in ("Wx", "Wh"):
            value = state[f"{prefix}.weight_{'ih' if param == 'Wx' else 'hh'}_l0"].T
        elif param in ("bx", "bh"):
            value = state[f"{prefix}.bias_{'ih' if param == 'bx' else 'hh'}_l0"]
        else:
            value = state[f"{prefix}.bias"]
        arrays[name] = np.ascontiguousarray(value, dtype=dtype)
    return arrays
