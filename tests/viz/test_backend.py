"""Plotting goes through `matplotlib.figure.Figure` alone: a notebook that draws with attnkit keeps
its backend, and pyplot (with its global figure list) is never imported."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import matplotlib
import numpy as np
import pytest

from attnkit.viz.attention_overlay import plot_attention_strip
from attnkit.viz.comparison import plot_comparison
from attnkit.viz.curves import plot_curves
from attnkit.viz.heatmap import plot_attention_heatmap

ROOT = Path(__file__).parents[2]
HISTORY = [{"epoch": 1, "train_loss": 1.0, "val_loss": 0.9, "val_exact_match": 0.2},
           {"epoch": 2, "train_loss": 0.6, "val_loss": 0.7, "val_exact_match": 0.5}]
WEIGHTS = np.random.default_rng(0).dirichlet(np.ones(4), size=3)  # (T, S) and (T, P)

# every plotting function of attnkit.viz, each writing one PNG into a folder
PLOTS: dict[str, Callable[[Path], object]] = {
    "heatmap": lambda folder: plot_attention_heatmap(WEIGHTS, list("abcd"), list("xyz"),
                                                     folder / "heatmap.png", title="t"),
    "comparison": lambda folder: plot_comparison({"plain": HISTORY, "attention": HISTORY},
                                                 "val_exact_match", folder / "comparison.png",
                                                 "exact match"),
    "curves": lambda folder: plot_curves(HISTORY, folder / "curves.png"),
    "strip": lambda folder: plot_attention_strip(np.full((16, 16), 255, dtype=np.uint8),
                                                 WEIGHTS, ["C", "O", "N"], folder / "strip.png"),
}


@pytest.fixture
def notebook_backend():
    """A backend other than Agg, as a notebook's inline backend is; restored afterwards."""
    previous = matplotlib.get_backend()
    matplotlib.use("svg")
    yield "svg"
    matplotlib.use(previous)


@pytest.mark.parametrize("name", sorted(PLOTS))
def test_plotting_leaves_the_backend_as_it_was(name, notebook_backend, tmp_path):
    PLOTS[name](tmp_path)
    assert matplotlib.get_backend() == notebook_backend
    assert (tmp_path / f"{name}.png").read_bytes()[:4] == b"\x89PNG"


def test_plotting_never_imports_pyplot(tmp_path):
    """In a fresh interpreter (this one may have pyplot from elsewhere); checked before
    `matplotlib.get_backend()`, which imports pyplot itself to pick a backend."""
    script = ("import sys\nfrom pathlib import Path\nfrom tests.viz.test_backend import PLOTS\n"
              "for plot in PLOTS.values():\n    plot(Path(sys.argv[1]))\n"
              "print('matplotlib.pyplot' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(f"{name}.png"
                                                                      for name in PLOTS)
