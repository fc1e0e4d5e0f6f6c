"""Reading an image in several views (`decode.rotations`): each view's attention comes back on
the image as given, and per image the most probable reading that passes is kept."""

import numpy as np
import pytest
import torch

from attnkit.decoding import Hypothesis
from attnkit.pipelines.img2seq import search
from attnkit.pipelines.img2seq.recipe import DecodeConfig

G, CELL = 6, 8  # a 6 x 6 grid over a 48-pixel canvas


def blob_cell(image: np.ndarray) -> tuple[int, int]:
    """(row, column) of the grid cell holding the image's dark pixels."""
    rows, columns = np.nonzero(image < 128)
    return int(rows.mean()) // CELL, int(columns.mean()) // CELL


@pytest.mark.parametrize("degrees", [90, 180, 270])
def test_attention_on_a_turned_view_comes_back_where_the_ink_is_on_the_image(degrees):
    image = np.full((G * CELL, G * CELL), 255, dtype=np.uint8)
    image[1 * CELL + 2: 1 * CELL + 6, 4 * CELL + 2: 4 * CELL + 6] = 0  # ink in cell (1, 4)
    turned = torch.rot90(torch.from_numpy(image), degrees // 90).numpy()
    seen = np.zeros((G, G))
    seen[blob_cell(turned)] = 1.0  # the view's attention: all on the ink as the view shows it
    found = Hypothesis([5], -1.0, seen.reshape(1, G * G))
    back = search.turned_back(found, degrees // 90, G)
    assert np.unravel_index(back.attention[0].argmax(), (G, G)) == blob_cell(image) == (1, 4)
    assert found.attention.reshape(G, G)[blob_cell(turned)] == 1.0  # the original is untouched


def reading(tokens: list[int], score: float) -> tuple[Hypothesis, list]:
    return Hypothesis(tokens, score, None), []


@pytest.mark.parametrize(("views", "expected"), [
    # per view: (tokens, score) of image 0 and image 1; token 9 makes a reading fail
    ({0: [([9], -0.1), ([1], -2.0)], 180: [([2], -0.5), ([3], -1.0)]}, [[2], [3]]),
    ({0: [([9], -0.1), ([1], -0.2)], 180: [([9], -0.5), ([3], -1.0)]}, [[9], [1]]),
])
def test_each_image_keeps_the_most_probable_reading_that_passes(monkeypatch, views, expected):
    def fake_search(model, images, *args, **kwargs):
        turned = int(images[0, 0, 0])  # the test's images say how far they were turned
        return [reading(*found) for found in views[{0: 0, 2: 180}[turned]]]

    images = torch.zeros(2, 4, 4)
    images[:, 3, 3] = 2  # turned by 180 degrees, this pixel is read first
    monkeypatch.setattr(search, "search_images", fake_search)
    decode = DecodeConfig(rotations=(0, 180))
    chosen = search.search_views(None, images, decode, 1, 2, 10, 2,
                                 is_valid=lambda tokens: 9 not in tokens)
    assert [best.tokens for best, _ in chosen] == expected


@pytest.mark.parametrize("rotations", [(), (0, 0), (45,), (360,)])
def test_rotations_are_different_quarter_turns(rotations):
    with pytest.raises(ValueError, match="rotations must be"):
        DecodeConfig(rotations=rotations)


def test_greedy_asked_for_reads_only_the_image_as_given(monkeypatch):
    import dataclasses

    from attnkit.pipelines.img2seq.predictor import ImageReader

    reader = ImageReader.from_checkpoint("molecules")
    reader.recipe = dataclasses.replace(reader.recipe, decode=dataclasses.replace(
        reader.recipe.decode, rotations=(0, 180)))
    searched = []
    real = search.search_images

    def counted(model, images, decode, *args, **kwargs):
        searched.append(decode.beam_width)
        return real(model, images, decode, *args, **kwargs)

    monkeypatch.setattr(search, "search_images", counted)
    canvas = np.full((1, reader.image_size, reader.image_size), 255, dtype=np.uint8)
    canvas[0, 80:112, 90:94] = 0  # a line: something to read
    reader.predict_encoded(canvas)
    assert len(searched) == 2  # the recipe's two views
    searched.clear()
    reader.predict_encoded(canvas, beam_width=1)
    assert searched == [1]
