"""The grid of attention heads: one panel per layer and head plus each layer's mean, shaded on
the honest scale, labelled where labels fit, written atomically."""

import math

import numpy as np
import pytest
from PIL import Image

from attnkit.errors import AttnkitError
from attnkit.viz.heads import MAX_LABELS, heads_figure, plot_attention_heads


def image_panels(figure):
    """The axes that show a heatmap (the colour bar's axis has none), in reading order."""
    return [axis for axis in figure.axes if axis.get_images() and axis.get_title()]


def test_a_panel_per_layer_and_head_then_the_mean_on_the_even_share_scale():
    weights = np.random.default_rng(0).dirichlet(np.ones(5), size=(2, 3, 4))  # (2, 3, 4, 5)
    figure = heads_figure(weights, list("abcde"), ["w", "x", "y", "z"], title="self-attention")
    panels = image_panels(figure)
    assert [axis.get_title() for axis in panels[:4]] == [
        "layer 1, head 1", "layer 1, head 2", "layer 1, head 3", "layer 1, mean of heads"]
    assert len(panels) == 2 * 4
    # shade = log(weight x 5) / log 5, clipped to [0, 1]: 0 at the even share, 1 all on one
    mean = (weights[1, 0] + weights[1, 1] + weights[1, 2]) / 3
    expected = np.clip(np.log(np.maximum(mean * 5, 1.0)) / math.log(5), 0, 1)
    np.testing.assert_allclose(panels[7].get_images()[0].get_array(), expected, atol=1e-12)
    # columns labelled under the last layer only, rows left of the first head only
    assert [t.get_text() for t in panels[4].get_xticklabels()] == list("abcde")
    assert panels[0].get_xticks().size == 0 and panels[1].get_yticks().size == 0
    assert [t.get_text() for t in panels[0].get_yticklabels()] == ["w", "x", "y", "z"]


def test_one_hot_attention_is_black_and_even_attention_white():
    weights = np.zeros((1, 2, 3, 3))
    weights[0, 0] = np.eye(3)  # head 1: each row all on one column
    weights[0, 1] = 1 / 3  # head 2: an even spread
    sharp, even, _ = (axis.get_images()[0].get_array()
                      for axis in image_panels(heads_figure(weights, "abc", "abc")))
    np.testing.assert_array_equal(sharp, np.eye(3))
    np.testing.assert_array_equal(even, np.zeros((3, 3)))


def test_long_axes_go_unlabelled():
    long = MAX_LABELS + 1
    weights = np.full((1, 1, 2, long), 1 / long)
    first = image_panels(heads_figure(weights, [f"t{i}" for i in range(long)], ["a", "b"]))[0]
    assert first.get_xticks().size == 0 and first.get_yticks().size == 2


def test_written_atomically_as_png_and_bad_input_refused(tmp_path):
    weights = np.full((2, 2, 3, 4), 0.25)
    path = plot_attention_heads(weights, list("abcd"), list("xyz"), tmp_path / "heads.png")
    with Image.open(path) as picture:
        width, height = picture.size
    assert width > height  # three panels across, two layers down
    assert [p.name for p in tmp_path.iterdir()] == ["heads.png"]
    with pytest.raises(AttnkitError, match="must end in .png"):
        plot_attention_heads(weights, list("abcd"), list("xyz"), tmp_path / "heads.svg")
    with pytest.raises(ValueError, match="3 row and 3 column labels"):
        heads_figure(weights, list("abc"), list("xyz"))
    with pytest.raises(ValueError, match="layers, heads, rows, columns"):
        heads_figure(weights[0], list("abcd"), list("xyz"))
