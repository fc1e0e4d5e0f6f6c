"""Runs side by side: one line per run of a held-out metric per epoch (the book's figure of
plain vs peeky vs attention seq2seq)."""

from __future__ import annotations

from pathlib import Path

from attnkit.viz.figure_file import save_figure


def plot_comparison(histories: dict[str, list[dict[str, float]]], metric: str, path: Path,
                    label: str) -> Path:
    """Write a PNG of `metric` (a fraction, e.g. "val_exact_match") per epoch, one line per
    named history, the y axis labelled `label`."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6, 4))
    axis = figure.subplots()
    for name, history in histories.items():
        axis.plot([r["epoch"] for r in history], [r[metric] for r in history], marker="o",
                  label=name)
    axis.set_xlabel("epoch")
    axis.set_ylabel(label)
    axis.set_ylim(0.0, 1.02)
    axis.grid(alpha=0.3)
    axis.legend()
    figure.tight_layout()
    return save_figure(figure, path, dpi=110)
