"""Where an image model looked: the image once per output token, its attention grid on top."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from attnkit.errors import AttnkitError
from attnkit.viz.figure_file import save_figure


def grid_overlay(weights: np.ndarray, image_size: int) -> np.ndarray:
    """weights (P,) over a square grid -> (S, S) map, each cell a block, scaled to max 1."""
    side = math.isqrt(weights.shape[0])
    if side * side != weights.shape[0]:
        raise ValueError(f"{weights.shape[0]} attention positions do not form a square grid")
    grid = weights.reshape(side, side) / max(float(weights.max()), 1e-12)
    cell = -(-image_size // side)
    return np.kron(grid, np.ones((cell, cell)))[:image_size, :image_size]


def plot_attention_strip(image: np.ndarray, attention: np.ndarray, tokens: Sequence[str],
                         path: str | Path, columns: int = 10, title: str | None = None) -> Path:
    """image (S, S) uint8, attention (T, P), T tokens -> PNG at `path`: one panel per token
    (rows of `columns`), written to a temporary file and renamed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(path)
    if path.suffix.lower() != ".png":
        raise AttnkitError(f"attention image must end in .png, got {path}")
    T = attention.shape[0]
    if T != len(tokens) or T == 0:
        raise ValueError(f"attention has {T} rows for {len(tokens)} tokens")
    S = image.shape[0]
    columns = min(columns, T)
    rows = -(-T // columns)
    figure, axes = plt.subplots(rows, columns, figsize=(1.6 * columns, 1.8 * rows + 0.4),
                                squeeze=False)
    for index, axis in enumerate(axes.flat):
        axis.axis("off")
        if index >= T:
            continue
        axis.imshow(image, cmap="gray", vmin=0, vmax=255)
        axis.imshow(grid_overlay(attention[index], S), cmap="inferno", alpha=0.5, vmin=0,
                    vmax=1)
        axis.set_title(tokens[index], fontsize=10)
    if title:
        figure.suptitle(title, fontsize=10)
    figure.tight_layout()
    return save_figure(figure, path, dpi=80)
