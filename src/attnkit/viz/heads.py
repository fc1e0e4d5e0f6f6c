"""Multi-head attention as a grid of heatmaps: a row per layer, a column per head, then a column
with each layer's mean over its heads.

For any model with multi-head attention: a Transformer classifier's self-attention over a
text, a decoder's self-attention over its output or its cross-attention over a source or an
image grid. Each panel shows weights (T, S): row t (the position that attends: an output token,
or a token of the text for self-attention) over column s (what it attends to). Shades use the
honest scale of `attention_scale` with S positions (the weight over the even share 1/S, on a
log scale), the same for every panel, so a diffuse head stays pale and a sharp one dark.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from attnkit.errors import AttnkitError
from attnkit.viz.attention_scale import scale_marks, strength
from attnkit.viz.figure_file import save_figure
from attnkit.viz.text_heatmap import visible

MAX_LABELS = 40  # more tick labels than this do not fit a panel: the axis is left unlabelled
PANEL_INCHES = (0.8, 3.0)  # the smallest and largest side of one panel
MAX_TITLE = 100  # characters of a title shown (a long translation is cut with "...")


def check_heads(weights: np.ndarray, column_labels: Sequence[str],
                row_labels: Sequence[str]) -> np.ndarray:
    """weights as a float array (L, H, T, S) matching the labels, or a ValueError."""
    weights = np.asarray(weights, dtype=np.float64)
    if weights.ndim != 4 or 0 in weights.shape:
        raise ValueError(f"attention heads must be (layers, heads, rows, columns), got shape "
                         f"{weights.shape}")
    L, H, T, S = weights.shape
    if (len(row_labels), len(column_labels)) != (T, S):
        raise ValueError(f"weights {weights.shape} do not match {len(row_labels)} row and "
                         f"{len(column_labels)} column labels")
    return weights


def panel_side(count: int) -> float:
    """Inches for an axis of `count` cells."""
    return float(np.clip(0.12 * count + 0.4, *PANEL_INCHES))


def heads_figure(weights: np.ndarray, column_labels: Sequence[str], row_labels: Sequence[str],
                 title: str | None = None) -> Any:
    """weights (L, H, T, S) -> a `matplotlib.figure.Figure` of L rows of H + 1 panels (each
    layer's heads, then their mean), labelled with the S column and T row labels (where they
    fit) and one colour bar."""
    from matplotlib.figure import Figure

    weights = check_heads(weights, column_labels, row_labels)
    L, H, T, S = weights.shape
    panels = np.concatenate([weights, weights.mean(axis=1, keepdims=True)], axis=1)
    width, height = panel_side(S), panel_side(T)
    figure = Figure(figsize=((H + 1) * width + 1.6, L * height + 0.9), layout="constrained")
    axes = figure.subplots(L, H + 1, squeeze=False)
    shades = strength(panels, S)
    for layer in range(L):
        for head in range(H + 1):
            axis = axes[layer, head]
            shown = axis.imshow(shades[layer, head], cmap="Greys", vmin=0.0, vmax=1.0,
                                aspect="auto", interpolation="nearest")
            name = f"head {head + 1}" if head < H else "mean of heads"
            axis.set_title(f"layer {layer + 1}, {name}", fontsize=8)
            label_axis(axis, column_labels if layer == L - 1 else None,
                       row_labels if head == 0 else None)
    bar = figure.colorbar(shown, ax=axes, fraction=0.02, pad=0.01)
    marks = scale_marks(S)
    bar.set_ticks([mark for mark, _ in marks], labels=[label for _, label in marks], fontsize=7)
    bar.set_label("attention, relative to an even spread", fontsize=8)
    if title:
        shown = title if len(title) <= MAX_TITLE else title[: MAX_TITLE - 3] + "..."
        figure.suptitle(shown, fontsize=10)
    return figure


def label_axis(axis: Any, columns: Sequence[str] | None, rows: Sequence[str] | None) -> None:
    """Tick labels where given and where they fit; none otherwise."""
    axis.tick_params(length=0, labelsize=6)
    if columns is not None and len(columns) <= MAX_LABELS:
        axis.set_xticks(range(len(columns)), [visible(label) for label in columns],
                        rotation=90)
    else:
        axis.set_xticks([])
    if rows is not None and len(rows) <= MAX_LABELS:
        axis.set_yticks(range(len(rows)), [visible(label) for label in rows])
    else:
        axis.set_yticks([])


def plot_attention_heads(weights: np.ndarray, column_labels: Sequence[str],
                         row_labels: Sequence[str], path: str | Path,
                         title: str | None = None) -> Path:
    """`heads_figure` as a PNG at `path`, written atomically (`files.write_atomically`)."""
    path = Path(path)
    if path.suffix.lower() != ".png":
        raise AttnkitError(f"attention heads image must end in .png, got {path}")
    return save_figure(heads_figure(weights, column_labels, row_labels, title), path, dpi=100)
