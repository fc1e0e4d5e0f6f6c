"""One honest colour scale for attention weights: how many times the uniform share a weight is.

With `count` positions, uniform attention gives each 1/count. A weight's strength is
log(weight x count) / log(count), clipped to [0, 1]: 0 at the uniform share or below, 1 when
all attention is on one position, and 10x the uniform share a visible step in between. Scaling
by the largest weight instead paints near-uniform attention as saturated as a sharp peak.
"""

from __future__ import annotations

import math

import numpy as np


def strength(weights: np.ndarray, count: int) -> np.ndarray:
    """weights (...) over `count` positions -> strengths in [0, 1] of the same shape."""
    weights = np.asarray(weights, dtype=np.float64)
    if count <= 1:
        return np.zeros_like(weights)
    ratio = np.maximum(weights * count, 1.0)
    return np.clip(np.log(ratio) / math.log(count), 0.0, 1.0)


def scale_marks(count: int) -> list[tuple[float, str]]:
    """(strength, label) for a legend: uniform, each power of 10 above it, all on one."""
    marks = [(0.0, f"uniform (1/{count}) or less")]
    ratio = 10
    while ratio < count / 2:
        marks.append((math.log(ratio) / math.log(count), f"{ratio}x uniform"))
        ratio *= 10
    if count > 1:
        marks.append((1.0, "all on one"))
    return marks
