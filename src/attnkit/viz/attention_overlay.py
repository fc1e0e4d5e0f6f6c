"""Where an image model looked: the image once per output token, its attention grid on top.

The colour scale is the same for every panel and honest (`attention_scale`): how many times the
even share (1/P per cell) a cell's weight is, on a log scale, with a colour bar; attention
spread evenly over the grid stays dark however the strip's weights compare with each other.
Where the model says which point a token looked at (`points`), a cross marks it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from attnkit.errors import AttnkitError
from attnkit.viz.attention_scale import scale_marks, strength
from attnkit.viz.figure_file import save_figure


def grid_overlay(weights: np.ndarray, image_size: int) -> np.ndarray:
    """weights (P,) over a square grid -> (S, S) map, each cell a block holding its weight."""
    side = math.isqrt(weights.shape[0])
    if side * side != weights.shape[0]:
        raise ValueError(f"{weights.shape[0]} attention positions do not form a square grid")
    cell = -(-image_size // side)
    return np.kron(weights.reshape(side, side), np.ones((cell, cell)))[:image_size, :image_size]


def plot_attention_strip(image: np.ndarray, attention: np.ndarray, tokens: Sequence[str],
                         path: str | Path, columns: int = 10, title: str | None = None,
                         points: np.ndarray | None = None) -> Path:
    """image (S, S) uint8, attention (T, P), T tokens, points (T, 2) pixel (x, y) or None ->
    PNG at `path`: one panel per token (rows of `columns`), written atomically."""
    from matplotlib.figure import Figure

    path = Path(path)
    if path.suffix.lower() != ".png":
        raise AttnkitError(f"attention image must end in .png, got {path}")
    T, P = attention.shape
    if T != len(tokens) or T == 0:
        raise ValueError(f"attention has {T} rows for {len(tokens)} tokens")
    S = image.shape[0]
    columns = min(columns, T)
    rows = -(-T // columns)
    figure = Figure(figsize=(1.6 * columns + 0.8, 1.8 * rows + 0.4))
    axes = figure.subplots(rows, columns, squeeze=False)
    shades = strength(attention, P)
    for index, axis in enumerate(axes.flat):
        axis.axis("off")
        if index >= T:
            continue
        axis.imshow(image, cmap="gray", vmin=0, vmax=255)
        shown = axis.imshow(grid_overlay(shades[index], S), cmap="inferno", alpha=0.55,
                            vmin=0, vmax=1)
        if points is not None:
            axis.plot(*points[index], marker="+", color="cyan", markersize=9, mew=1.5)
        axis.set_title(tokens[index], fontsize=10)
    bar = figure.colorbar(shown, ax=axes, fraction=0.02, pad=0.01)
    marks = scale_marks(P)
    bar.set_ticks([mark for mark, _ in marks], labels=[label for _, label in marks], fontsize=7)
    bar.set_label("attention, relative to an even spread", fontsize=8)
    if title:
        figure.suptitle(title, fontsize=10)
    return save_figure(figure, path, dpi=80)
