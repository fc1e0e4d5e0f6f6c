"""fit_layout finds scale and shift of a layout from bond ink drawn at a known transform (the
oracle is the transform the test drew with, by Pillow, outside the code under test)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from attnkit.data.drawing.layout_fit import fit_layout

# A hexagon with a two-bond tail, one bond long each (y down)
HEXAGON = np.array([[np.cos(a), np.sin(a)] for a in np.arange(6) * np.pi / 3])
LAYOUT = np.vstack([HEXAGON, HEXAGON[0] + [1.0, 0.0], HEXAGON[0] + [1.5, 0.866]])
BONDS = np.array([[0, 1], [1, 2], [2, 3], [3, 4], [4, 5], [5, 0], [0, 6], [6, 7]])


def bond_ink(scale: float, shift: tuple[float, float], size: int = 160,
             cut: float = 0.0) -> np.ndarray:
    """The bonds drawn 2 px wide at `scale` and `shift`, anti-aliased by 4x supersampling,
    each cut short by `cut` of its length at both ends (as labels cut bonds); (H, W) in
    [0, 1]."""
    big = Image.new("L", (size * 4, size * 4), 0)
    pen = ImageDraw.Draw(big)
    points = (LAYOUT * scale + np.array(shift)) * 4
    for a, b in BONDS:
        start = points[a] + cut * (points[b] - points[a])
        end = points[b] - cut * (points[b] - points[a])
        pen.line([tuple(start), tuple(end)], fill=255, width=8)
    return np.asarray(big.resize((size, size), Image.Resampling.BOX), dtype=np.float64) / 255


@pytest.mark.parametrize("guess", [1.0, 0.95, 1.05])
def test_scale_and_shift_are_recovered_to_a_fraction_of_a_pixel(guess: float) -> None:
    scale, shift = 23.7, (41.3, 52.8)
    found = fit_layout(LAYOUT, BONDS, bond_ink(scale, shift), scale * guess)
    assert found is not None
    np.testing.assert_allclose(found, LAYOUT * scale + shift, atol=0.3)


def test_bonds_cut_short_by_labels_still_fit() -> None:
    scale, shift = 30.0, (50.2, 60.6)
    found = fit_layout(LAYOUT, BONDS, bond_ink(scale, shift, cut=0.25), scale)
    assert found is not None
    np.testing.assert_allclose(found, LAYOUT * scale + shift, atol=0.3)


def test_no_bonds_or_no_ink_gives_none() -> None:
    assert fit_layout(LAYOUT, np.zeros((0, 2), dtype=int), bond_ink(20, (50, 50)), 20) is None
    assert fit_layout(LAYOUT, BONDS, np.zeros((160, 160)), 20.0) is None


def test_a_layout_larger_than_the_picture_gives_none() -> None:
    assert fit_layout(LAYOUT, BONDS, bond_ink(20, (50, 50)), 200.0) is None
