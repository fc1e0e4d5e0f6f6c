"""Training curves: losses on one panel, every other held-out metric on another."""

from __future__ import annotations

from pathlib import Path

from attnkit.viz.figure_file import save_figure


def plot_curves(history: list[dict[str, float]], path: Path) -> None:
    """Write a PNG of per-epoch losses and metrics (`*_loss` left, `val_*` others right)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = [record["epoch"] for record in history]
    keys = sorted({k for record in history for k in record})
    losses = [k for k in keys if k.endswith("loss")]
    metrics = [k for k in keys if k.startswith("val_") and k not in losses]
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    for axis, names, title in ((left, losses, "loss"), (right, metrics, "held-out metrics")):
        for name in names:
            axis.plot(epochs, [record.get(name, float("nan")) for record in history],
                      marker="o", label=name)
        axis.set_xlabel("epoch")
        axis.set_title(title)
        if names:
            axis.legend()
        axis.grid(alpha=0.3)
    figure.tight_layout()
    save_figure(figure, path, dpi=100)
