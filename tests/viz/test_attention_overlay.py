import numpy as np
import pytest
from PIL import Image

from attnkit.errors import AttnkitError
from attnkit.viz.attention_overlay import grid_overlay, plot_attention_strip


def test_grid_overlay_spreads_each_cell_over_its_block():
    weights = np.array([0.1, 0.2, 0.3, 0.4])
    overlay = grid_overlay(weights, 8)
    assert overlay.shape == (8, 8)  # weights as they are, not stretched to a maximum of 1
    assert overlay[0, 0] == pytest.approx(0.1) and overlay[7, 7] == pytest.approx(0.4)
    assert overlay[0, 4] == pytest.approx(0.2) and overlay[4, 0] == pytest.approx(0.3)
    with pytest.raises(ValueError, match="square grid"):
        grid_overlay(np.ones(5), 8)


def test_strip_has_one_panel_per_token_and_is_written_atomically(tmp_path):
    image = np.full((32, 32), 255, dtype=np.uint8)
    attention = np.random.default_rng(0).dirichlet(np.ones(16), size=3)
    points = np.array([[4.0, 4.0], [20.0, 4.0], [28.0, 28.0]])
    path = plot_attention_strip(image, attention, ["C", "C", "O"], tmp_path / "strip.png",
                                points=points)
    picture = np.asarray(Image.open(path).convert("RGB")).astype(int)
    height, width, _ = picture.shape
    assert width > 2 * height  # three panels side by side
    cyan = (picture[..., 0] < 80) & (picture[..., 1] > 180) & (picture[..., 2] > 180)
    assert cyan.sum() > 20  # the crosses that mark where each token looked
    assert [p.name for p in tmp_path.iterdir()] == ["strip.png"]
    with pytest.raises(AttnkitError, match="must end in .png"):
        plot_attention_strip(image, attention, ["C", "C", "O"], tmp_path / "strip.jpg")
    with pytest.raises(ValueError, match="3 rows for 2 tokens"):
        plot_attention_strip(image, attention, ["C", "C"], tmp_path / "x.png")


def test_attention_spread_evenly_stays_dark_on_the_strip(tmp_path):
    """Scaled to the strip's largest weight, even attention (1/P everywhere) was painted at the
    top of the colour map, as bright as a sharp peak."""
    image = np.full((32, 32), 255, dtype=np.uint8)
    even = np.full((2, 16), 1 / 16)
    path = plot_attention_strip(image, even, ["C", "O"], tmp_path / "even.png")
    picture = np.asarray(Image.open(path).convert("RGB")).astype(int)
    top = (picture[..., 0] > 240) & (picture[..., 1] > 240) & (picture[..., 2] < 230)
    assert top.sum() < 0.01 * top.size  # the colour map's top end: only on the colour bar
