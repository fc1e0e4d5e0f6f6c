"""The one result type of every search."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Hypothesis:
    """One decoded sequence.

    tokens: output ids, without `<s>` and the final `</s>`.
    score: the sum of the log-probabilities of the tokens and of `</s>` when the search reached it.
    attention: (T, S) weights, row t = the attention while predicting tokens[t], columns = the
    source positions as the model saw them (reversed if the model reads reversed input);
    None for models without attention.
    finished: whether the search produced `</s>` (False: stopped at max_length).
    """

    tokens: list[int]
    score: float
    attention: np.ndarray | None
    finished: bool = True
