"""NumPy Transformer parameters <-> the torch `TransformerSeq2Seq` state_dict, in NumPy alone.

Both engines use the same module paths; only the last part of a name and the layout differ:
a NumPy `W` (D, K) is torch's `weight` (K, D) transposed; `b` is `bias`; LayerNorm's `gamma`
and `beta` are `weight` and `bias`; an embedding table or an untied output layer's `weight`
(V, E) is the same in both.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import DTypeLike

from attnkit.errors import AttnkitError

TORCH_PARAM_NAMES = {"W": "weight", "b": "bias", "gamma": "weight", "beta": "bias",
                     "weight": "weight"}


def torch_name(name: str) -> str:
    """A NumPy parameter's name -> the torch name of the same weights."""
    layer, param = name.rsplit(".", 1)
    return f"{layer}.{TORCH_PARAM_NAMES[param]}"


def to_torch_layout(arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """NumPy-named parameters (a model's `state_dict()`) -> torch names and layouts."""
    return {torch_name(name): np.ascontiguousarray(value.T if name.endswith(".W") else value)
            for name, value in arrays.items()}


def from_torch_layout(state: dict[str, np.ndarray], names: list[str],
                      dtype: DTypeLike = np.float32) -> dict[str, np.ndarray]:
    """A torch state_dict (as arrays) -> the parameters `names` of a NumPy model, in `dtype`.
    Keys must match exactly; a mismatch is an AttnkitError naming the keys."""
    expected = {torch_name(name): name for name in names}
    if set(state) != set(expected):
        missing, unexpected = sorted(set(expected) - set(state)), sorted(set(state) - set(expected))
        raise AttnkitError(f"weights do not fit the NumPy Transformer: missing {missing}, "
                           f"unexpected {unexpected}")
    return {name: np.ascontiguousarray(state[key].T if name.endswith(".W") else state[key],
                                       dtype=dtype)
            for key, name in expected.items()}
