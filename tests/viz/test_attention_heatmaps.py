import numpy as np
import pytest

from attnkit.errors import AttnkitError
from attnkit.viz.heatmap import plot_attention_heatmap
from attnkit.viz.text_heatmap import SHADES, text_heatmap


def test_text_heatmap_draws_one_shade_per_cell():
    weights = np.array([[1.0, 0.0, 0.0], [0.0, 0.5, 0.5]])
    lines = text_heatmap(weights, ["a", " ", "c"], ["x", "yz"]).splitlines()
    assert lines[0] == "   a \u2423 c"
    assert lines[1] == " x " + SHADES[-1] * 2 + "    "
    assert lines[2] == "yz   " + SHADES[2] * 4
    with pytest.raises(ValueError, match="do not match"):
        text_heatmap(weights, ["a"], ["x", "y"])


def test_png_heatmap_is_written_atomically(tmp_path):
    path = plot_attention_heatmap(np.eye(3), list("abc"), list("xyz"), tmp_path / "m.png",
                                  title="abc -> xyz")
    assert path.read_bytes()[:4] == b"\x89PNG"
    assert [p.name for p in tmp_path.iterdir()] == ["m.png"]
    with pytest.raises(AttnkitError, match=".png"):
        plot_attention_heatmap(np.eye(3), list("abc"), list("xyz"), tmp_path / "m.jpg")
