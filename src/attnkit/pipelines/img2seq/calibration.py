"""A molecule reading's calibrated confidence: the chance that it is right, from its
log-probability, P(right) = sigmoid(scale x log_probability + shift), fitted on validation
readings (`bench/molecule_calibration.py`) and stored with the model as `decode.confidence_scale`
and `decode.confidence_shift` (`attnkit export --set ...`). A reading whose confidence is below
`decode.flag_below` is flagged. The sequence probability alone is not calibrated: a long SMILES
has a low probability even when it is right, and a wrong reading can have 0.7.
"""

from __future__ import annotations

import math

import numpy as np

LOWEST = -50.0  # log-probabilities below this (or -inf, a reading that never ended) count as it


def fit_confidence(log_probabilities: np.ndarray, right: np.ndarray,
                   steps: int = 50) -> tuple[float, float]:
    """(scale, shift) of the logistic regression of `right` (0/1) on the log-probabilities, by
    Newton's method (a tiny ridge keeps it finite when the classes separate)."""
    x = np.maximum(np.nan_to_num(np.asarray(log_probabilities, dtype=np.float64),
                                 neginf=LOWEST), LOWEST)
    y = np.asarray(right, dtype=np.float64)
    features = np.stack([x, np.ones_like(x)], axis=1)
    weights = np.zeros(2)
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(features @ weights)))
        gradient = features.T @ (p - y) + 1e-6 * weights
        hessian = (features * (p * (1 - p))[:, None]).T @ features + 1e-6 * np.eye(2)
        weights -= np.linalg.solve(hessian, gradient)
    return float(weights[0]), float(weights[1])


def confidence(log_probability: float | None, scale: float, shift: float) -> float:
    """The calibrated chance that a reading of this log-probability is right (None: a reading
    that never ended, given the lowest)."""
    x = LOWEST if log_probability is None or not math.isfinite(log_probability) else \
        max(log_probability, LOWEST)
    return 1.0 / (1.0 + math.exp(-(scale * x + shift)))
