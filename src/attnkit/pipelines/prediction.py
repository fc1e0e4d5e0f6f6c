"""What every pipeline's predictor offers, and the one record each prediction becomes.

A predictor is loaded from a RUN (`from_checkpoint(path, device)`), predicts a batch of inputs
(`predict(inputs, ...)`: one result per input, in order; an unreadable input is an AttnkitError)
or each of them (`predict_each`: the error in the input's place), with the `n_best`
alternatives of one search when asked, and the attention in every result. Each result turns
into its JSON record with `to_record(include_attention)`: the CLI's `--json`, `attnkit.load(...)
.predict(...)[i].to_record()` and `attnkit serve` give the same record for the same input.

Every record has `input`, `output` (the answer as text: a label, a translation, a SMILES),
`probability` (the model's probability of that output: a class probability, or of the whole
sequence, its end included) and `log_probability`; `n_best` lists alternatives best first, each
with its `output`, `probability` and `log_probability`. Numbers are rounded here, once:
probabilities to 6 decimals, attention weights to 4, pixel positions to 1.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, TypeVar

import numpy as np

from attnkit.errors import AttnkitError

T = TypeVar("T")

PROBABILITY_DIGITS = 6
WEIGHT_DIGITS = 4


class PredictionResult(Protocol):
    def to_record(self, include_attention: bool = False) -> dict[str, Any]:
        """The result as JSON values (see the module's docstring)."""


class Predictor(Protocol):
    @classmethod
    def from_checkpoint(cls, path: str | Path, device: str = ...) -> Predictor:
        """The predictor of a run folder, checkpoint file, export or shipped model."""

    def predict(self, inputs: Sequence[Any], **options: Any) -> list[PredictionResult]:
        """One result per input, in order; `n_best=K` adds K alternatives to each."""

    def predict_each(self, inputs: Sequence[Any], **options: Any) -> \
            list[PredictionResult | Exception]:
        """As `predict`, with an unreadable input's AttnkitError in its place."""

    def describe(self) -> dict[str, Any]:
        """What a client needs to show this model's results (its classes, its grid, ...);
        "heads": True when `head_view` shows every layer's and head's attention."""


@dataclasses.dataclass
class HeadView:
    """Every layer's and head's attention for one text input, for a model with multi-head
    attention (a Transformer's `head_view(text)`). weights (L, H, T, S): row t, one of the
    `rows` tokens that attend, over column s, one of the `columns` tokens attended to; each
    row sums to 1. `kind`: "cross-attention" (rows: the output's tokens, columns: the input's)
    or "self-attention" (rows and columns: the tokens of the text); `output` is the answer the
    rows belong to (a translation; a classifier's label)."""

    kind: str
    output: str
    rows: list[str]
    columns: list[str]
    weights: np.ndarray

    def __post_init__(self) -> None:
        shape = np.shape(self.weights)
        if len(shape) != 4 or shape[2:] != (len(self.rows), len(self.columns)):
            raise ValueError(f"head weights {shape} do not match {len(self.rows)} rows and "
                             f"{len(self.columns)} columns")

    def to_record(self) -> dict[str, Any]:
        """{"kind", "output", "rows", "columns", "heads": layers x heads x T x S}."""
        return {"kind": self.kind, "output": self.output, "rows": list(self.rows),
                "columns": list(self.columns), "heads": weights(self.weights)}


def check_input_list(inputs: Any, plural: str, singular: str) -> None:
    """An AttnkitError unless `inputs` is a list (or tuple) of inputs: a lone text, bytes, a
    mapping, a number or None is a mistake `predict` names (a string is a sequence too, of
    characters, and would be answered character by character)."""
    if isinstance(inputs, (str, bytes, bytearray, dict, Path)) or \
            not isinstance(inputs, Sequence):
        raise AttnkitError(f"predict takes a list of {plural}: predict([{singular}]) for one, "
                           f"got {type(inputs).__name__}")


def with_beam_width(decode: T, beam_width: Any) -> T:
    """The search `decode` (a `decoding.SearchConfig`) with the beam width a caller asked
    for (None: as it is); a width that is not a whole number from 1 to MAX_BEAM_WIDTH is an
    AttnkitError."""
    if beam_width is None:
        return decode
    from attnkit.decoding.search import MAX_BEAM_WIDTH

    if isinstance(beam_width, bool) or not isinstance(beam_width, int) or \
            not 1 <= beam_width <= MAX_BEAM_WIDTH:
        raise AttnkitError(f"beam_width must be a whole number from 1 to {MAX_BEAM_WIDTH}, "
                           f"got {beam_width!r}")
    return dataclasses.replace(decode, beam_width=beam_width)


def probability(value: float) -> float:
    return round(float(value), PROBABILITY_DIGITS)


def log_probability(value: float | None) -> float | None:
    """A log-probability rounded; -inf (an output of probability 0) becomes None in JSON."""
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), PROBABILITY_DIGITS)


def weights(values: Any) -> Any:
    """An array or nested lists of attention weights as nested lists rounded to 4 decimals;
    None stays None."""
    if values is None:
        return None
    return np.round(np.asarray(values, dtype=np.float64), WEIGHT_DIGITS).tolist()


def scored(output: str, log_prob: float | None, **fields: Any) -> dict[str, Any]:
    """{"output", "probability", "log_probability", **fields}: the start of every record and
    of every n-best entry."""
    chance = 0.0 if log_prob is None else math.exp(log_prob)
    return {"output": output, "probability": probability(chance),
            "log_probability": log_probability(log_prob), **fields}
