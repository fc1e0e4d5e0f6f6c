"""Multi-head attention as a grid of heatmaps: a row per layer, a column per head and a last
column with the layer's mean over its heads (source tokens across, output tokens down), so that
what each head attends to can be told apart from what the layer attends to as a whole."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from attnkit.errors import AttnkitError
from attnkit.viz.figure_file import save_figure
from attnkit.viz.text_heatmap import visible

CELL_INCHES = 0.22  # per token, so that labels stay readable
MAX_LABELS = 40  # more tokens than this per axis: ticks without labels
MAX_TITLE = 100  # characters of the title shown


def plot_head_grid(weights: np.ndarray, source_labels: Sequence[str],
                   target_labels: Sequence[str], path: str | Path,
                   title: str | None = None) -> Path:
    """weights (layers, heads, T, S) -> a PNG at `path` (written to a temporary file, then
    renamed): layers x (heads + 1) heatmaps on one shared 0-1 grey scale."""
    from matplotlib.figure import Figure

    weights = np.asarray(weights, dtype=np.float64)
    if weights.ndim != 4:
        raise ValueError(f"weights must be (layers, heads, T, S), got shape {weights.shape}")
    layers, heads, T, S = weights.shape
    if (len(target_labels), len(source_labels)) != (T, S):
        raise ValueError(f"weights {weights.shape} do not match {len(target_labels)} output and "
                         f"{len(source_labels)} source labels")
    path = Path(path)
    if path.suffix.lower() != ".png":
        raise AttnkitError(f"heads picture must end in .png, got {path}")
    panels = np.concatenate([weights, weights.mean(axis=1, keepdims=True)], axis=1)
    width, height = max(1.6, CELL_INCHES * S + 1.2), max(1.4, CELL_INCHES * T + 1.0)
    figure = Figure(figsize=(width * (heads + 1), height * layers + (0.5 if title else 0.0)),
                    layout="constrained")
    axes = figure.subplots(layers, heads + 1, squeeze=False)
    for layer in range(layers):
        for column in range(heads + 1):
            axis = axes[layer, column]
            axis.imshow(panels[layer, column], cmap="Greys", vmin=0.0, vmax=1.0,
                        aspect="auto")
            name = "mean" if column == heads else f"head {column + 1}"
            axis.set_title(f"layer {layer + 1}, {name}", fontsize=8)
            label_axes(axis, source_labels, target_labels, first_column=column == 0,
                       last_row=layer == layers - 1)
    if title:
        shown = title if len(title) <= MAX_TITLE else title[: MAX_TITLE - 3] + "..."
        figure.suptitle(shown, fontsize=9)
    return save_figure(figure, path, dpi=100)


def label_axes(axis: Any, source_labels: Sequence[str], target_labels: Sequence[str],
               first_column: bool, last_row: bool) -> None:
    """Source tokens under the bottom row, output tokens left of the first column."""
    S, T = len(source_labels), len(target_labels)
    shown = last_row and S <= MAX_LABELS
    axis.set_xticks(range(S), [visible(label) for label in source_labels] if shown else [],
                    rotation=90, fontsize=7)
    shown = first_column and T <= MAX_LABELS
    axis.set_yticks(range(T), [visible(label) for label in target_labels] if shown else [],
                    fontsize=7)
    axis.tick_params(length=0)
