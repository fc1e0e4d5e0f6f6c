import numpy as np
import pytest
from PIL import Image

from attnkit.errors import AttnkitError
from attnkit.viz.attention_overlay import grid_overlay, plot_attention_strip


def test_grid_overlay_spreads_each_cell_over_its_block():
    weights = np.array([0.1, 0.2, 0.3, 0.4])
    overlay = grid_overlay(weights, 8)
    assert overlay.shape == (8, 8)
    assert overlay[0, 0] == pytest.approx(0.25) and overlay[7, 7] == pytest.approx(1.0)
    assert overlay[0, 4] == pytest.approx(0.5) and overlay[4, 0] == pytest.approx(0.75)
    with pytest.raises(ValueError, match="square grid"):
        grid_overlay(np.ones(5), 8)


def test_strip_has_one_panel_per_token_and_is_written_atomically(tmp_path):
    image = np.full((32, 32), 255, dtype=np.uint8)
    attention = np.random.default_rng(0).dirichlet(np.ones(16), size=3)
    path = plot_attention_strip(image, attention, ["C", "C", "O"], tmp_path / "strip.png")
    width, height = Image.open(path).size
    assert width > 2 * height  # three panels side by side
    assert [p.name for p in tmp_path.iterdir()] == ["strip.png"]
    with pytest.raises(AttnkitError, match="must end in .png"):
        plot_attention_strip(image, attention, ["C", "C", "O"], tmp_path / "strip.jpg")
    with pytest.raises(ValueError, match="3 rows for 2 tokens"):
        plot_attention_strip(image, attention, ["C", "C"], tmp_path / "x.png")
