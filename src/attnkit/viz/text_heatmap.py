"""An attention matrix drawn with shade characters, for a terminal: source across, output down."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

SHADES = " \u2591\u2592\u2593\u2588"  # weight 0 -> blank, 1 -> full block


def shade(weight: float) -> str:
    index = int(round(float(np.clip(weight, 0.0, 1.0)) * (len(SHADES) - 1)))
    return SHADES[index]


def text_heatmap(weights: np.ndarray, source_labels: Sequence[str],
                 target_labels: Sequence[str]) -> str:
    """weights (T, S) -> lines: a header of source tokens, then one row per output token with
    a shade per source position (two columns each, for a squarer look; as wide as the longest
    source token when tokens are longer, such as subword pieces)."""
    T, S = weights.shape
    if (len(target_labels), len(source_labels)) != (T, S):
        raise ValueError(f"weights {weights.shape} do not match {len(target_labels)} output and "
                         f"{len(source_labels)} source labels")
    margin = max((len(label) for label in target_labels), default=0)
    width = max([2] + [len(visible(label)) + 1 for label in source_labels if len(label) > 1])
    header = " " * (margin + 1) + "".join(f"{visible(label):<{width}}"
                                          for label in source_labels)
    rows = [
        f"{label:>{margin}} " + "".join(shade(w) * width for w in row)
        for label, row in zip(target_labels, weights, strict=True)
    ]
    return "\n".join([header.rstrip(), *rows])


def visible(label: str) -> str:
    """A space would be invisible as a label: show it as an open box."""
    return "\u2423" if label == " " else label
