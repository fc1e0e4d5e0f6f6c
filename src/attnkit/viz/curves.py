"""Training curves: one panel per scale, so that no curve sits flat against another's range.

Losses share a panel; held-out metrics that are rates (every value between 0 and 1: exact
match, validity, accuracy) share another; any other held-out metric (a Levenshtein distance of
about 40, a perplexity) gets a panel of its own. Epochs are whole numbers on the x axis (a run
the time limit cut ends at a fraction).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from attnkit.viz.figure_file import save_figure


def curve_panels(history: list[dict[str, float]]) -> list[tuple[str, list[str]]]:
    """(title, metric names) per panel, in order: losses, rates, then each other metric."""
    keys = sorted({key for record in history for key in record})
    losses = [key for key in keys if key.endswith("loss")]
    metrics = [key for key in keys if key.startswith("val_") and key not in losses]

    def is_rate(key: str) -> bool:
        values = [record[key] for record in history
                  if key in record and math.isfinite(record[key])]
        return all(0.0 <= value <= 1.0 for value in values)

    rates = [key for key in metrics if is_rate(key)]
    panels = [("loss", losses), ("held-out rates", rates)]
    panels += [(key, [key]) for key in metrics if key not in rates]
    return [(title, names) for title, names in panels if names]


def curves_figure(history: list[dict[str, float]]) -> Any:
    """A matplotlib Figure of the per-epoch curves, one panel per scale (`curve_panels`)."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    panels = curve_panels(history) or [("loss", [])]
    figure = Figure(figsize=(4.5 * len(panels) + 1, 4))
    epochs = [record["epoch"] for record in history]
    for axis, (title, names) in zip(figure.subplots(1, len(panels), squeeze=False)[0], panels,
                                    strict=True):
        for name in names:
            axis.plot(epochs, [record.get(name, float("nan")) for record in history],
                      marker="o", label=name)
        axis.set_xlabel("epoch")
        axis.xaxis.set_major_locator(MaxNLocator(integer=True))
        axis.set_title(title)
        if names:
            axis.legend()
        axis.grid(alpha=0.3)
    figure.tight_layout()
    return figure


def plot_curves(history: list[dict[str, float]], path: Path) -> None:
    """Write `curves_figure(history)` as a PNG at `path`, atomically."""
    save_figure(curves_figure(history), path, dpi=100)
