"""A labelled attention heatmap as a PNG: source tokens across, output tokens down."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from attnkit.errors import AttnkitError
from attnkit.viz.figure_file import save_figure
from attnkit.viz.text_heatmap import visible


def plot_attention_heatmap(weights: np.ndarray, source_labels: Sequence[str],
                           target_labels: Sequence[str], path: str | Path,
                           title: str | None = None) -> Path:
    """weights (T, S) -> a PNG at `path` (written to a temporary file, then renamed)."""
    from matplotlib.figure import Figure

    T, S = weights.shape
    if (len(target_labels), len(source_labels)) != (T, S):
        raise ValueError(f"weights {weights.shape} do not match {len(target_labels)} output and "
                         f"{len(source_labels)} source labels")
    path = Path(path)
    if path.suffix.lower() != ".png":
        raise AttnkitError(f"heatmap file must end in .png, got {path}")
    figure = Figure(figsize=(max(3.0, 0.35 * S + 1.5), max(2.5, 0.35 * T + 1.2)))
    axis = figure.subplots()
    image = axis.imshow(weights, cmap="Greys", vmin=0.0, vmax=1.0, aspect="auto")
    axis.set_xticks(range(S), [visible(label) for label in source_labels])
    axis.set_yticks(range(T), [visible(label) for label in target_labels])
    axis.set_xlabel("source")
    axis.set_ylabel("output")
    axis.tick_params(length=0)
    if title:
        axis.set_title(title)
    figure.colorbar(image, ax=axis, fraction=0.046, pad=0.04)
    figure.tight_layout()
    return save_figure(figure, path, dpi=120)
