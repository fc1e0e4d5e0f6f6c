from dataclasses import replace

import numpy as np
import pytest
from scipy import ndimage

from attnkit.data.chem import parse_molecule
from attnkit.data.drawing.affine import Affine, warp
from attnkit.data.drawing.degrade import (
    Degradation,
    degrade,
    degrade_depiction,
    rescanned,
    restroked,
)
from attnkit.data.drawing.rdkit_style import RdkitStyle, draw_rdkit
from attnkit.errors import AttnkitError

NOTHING = Degradation(**{name: 0.0 for name in Degradation.__dataclass_fields__
                         if name.endswith("_probability")})
DOTS = np.array([[20.5, 30.5], [150.5, 40.5], [90.5, 110.5], [40.5, 100.5]])


def dotted(width: int = 180, height: int = 130) -> np.ndarray:
    """White picture with a black 3 x 3 dot centred on each of DOTS (pixel centres)."""
    image = np.full((height, width), 255, dtype=np.uint8)
    for x, y in DOTS.astype(int):
        image[y - 1: y + 2, x - 1: x + 2] = 0
    return image


def dot_centres(image: np.ndarray) -> np.ndarray:
    """(K, 2) centres (x, y, continuous pixels) of the ink blobs, weighted by darkness."""
    weights = 255.0 - image
    labels, count = ndimage.label(weights > 20)
    centres = ndimage.center_of_mass(weights, labels, range(1, count + 1))
    return np.array([[column + 0.5, row + 0.5] for row, column in centres])


def assert_same_points(found: np.ndarray, expected: np.ndarray, tolerance: float) -> None:
    distances = np.linalg.norm(found[:, None] - expected[None], axis=-1)
    assert len(found) == len(expected)
    assert distances.min(axis=0).max() < tolerance, distances.min(axis=0)


def test_affine_maps_compose_and_invert():
    shift = Affine.translation(3.0, -2.0)
    quarter = Affine.linear(np.array([[0.0, -1.0], [1.0, 0.0]]), (1.0, 1.0))
    both = shift.then(quarter)
    # (0, 0) -> (3, -2) -> about (1, 1): (2, -3) turned a quarter -> (3, 2) -> (4, 3)
    np.testing.assert_allclose(both(np.array([[0.0, 0.0]])), [[4.0, 3.0]])
    points = np.random.default_rng(0).uniform(-50, 50, (5, 2))
    np.testing.assert_allclose(both.inverse()(both(points)), points, atol=1e-9)


def test_warping_moves_the_ink_where_the_map_moves_points():
    turn = Affine.linear(np.array([[np.cos(0.3), -np.sin(0.3)], [np.sin(0.3), np.cos(0.3)]]),
                         (90.0, 65.0)).then(Affine.translation(7.0, 4.0))
    assert_same_points(dot_centres(warp(dotted(), turn, 200, 150)), turn(DOTS), 0.1)


def test_geometric_degradation_moves_points_as_it_says():
    for seed in range(8):
        image, moved = degrade(dotted(), np.random.default_rng(seed), Degradation.geometric_only())
        assert image.shape != (130, 180)  # a wider canvas, tilted
        assert_same_points(dot_centres(image), moved(DOTS), 0.1)


def test_stray_text_keeps_the_drawing_where_the_map_puts_it():
    only_text = replace(NOTHING, text_probability=1.0)
    original = dotted()
    for seed in range(10):
        image, moved = degrade(original, np.random.default_rng(seed), only_text)
        right, down = moved.matrix[:, 2].astype(int)
        np.testing.assert_array_equal(moved.matrix[:, :2], np.eye(2))
        window = image[down: down + original.shape[0], right: right + original.shape[1]]
        assert (window[original == 0] == 0).all()  # every dot still there, unmoved
        assert (image < 128).sum() > (original < 128).sum()  # and some text


def test_a_degraded_drawing_keeps_its_atoms_on_ink():
    molecule = parse_molecule("COc1ccc(cc1)C(=O)Nc1ccccc1Cl")
    depiction = draw_rdkit(molecule, RdkitStyle(palette="bw", bond_line_width=3.0), 300)
    for seed in range(5):
        moved = degrade_depiction(depiction, np.random.default_rng(seed),
                                  Degradation.geometric_only())
        for x, y in moved.atoms:
            window = moved.image[int(y) - 3: int(y) + 4, int(x) - 3: int(x) + 4]
            assert window.min() < 128


def test_binarised_output_is_one_bit_whatever_came_before():
    everything = Degradation(**{name: 1.0 for name in Degradation.__dataclass_fields__
                                if name.endswith("_probability")})
    for seed in range(3):
        image, _ = degrade(dotted(), np.random.default_rng(seed), everything)
        assert set(np.unique(image)) <= {0, 255} and (image == 0).any()


def test_degradation_is_seeded():
    image = draw_rdkit(parse_molecule("CC(=O)Nc1ccc(O)cc1"), RdkitStyle(), 250).image
    first, _ = degrade(image, np.random.default_rng(3))
    again, _ = degrade(image, np.random.default_rng(3))
    assert first.tobytes() == again.tobytes()
    outputs = {degrade(image, np.random.default_rng(seed))[0].tobytes() for seed in range(6)}
    assert len(outputs) >= 5  # a seed may draw no step at all, which is the image itself


def test_low_resolution_and_stroke_steps_keep_the_ink_in_place():
    image = dotted()
    assert_same_points(dot_centres(rescanned(image, 0.5)), DOTS, 0.5)
    thicker, thinner = restroked(image, 2, thicker=True), restroked(image, 1, thicker=False)
    assert (thicker < 128).sum() > (image < 128).sum()
    assert (thinner < 128).sum() == (image < 128).sum()  # 3-pixel dots would vanish: kept
    lines = np.full((40, 40), 255, np.uint8)
    lines[10:22, 5:35] = 0  # 12 pixels thick: 10 stay
    assert 0 < (restroked(lines, 2, thicker=False) < 128).sum() < (lines < 128).sum()


def test_bad_configs_and_images_fail_with_a_message():
    with pytest.raises(ValueError, match="blur_probability"):
        Degradation(blur_probability=1.5)
    with pytest.raises(ValueError, match="resolution"):
        Degradation(resolution=(0.5, 0.3))
    with pytest.raises(AttnkitError, match="uint8"):
        degrade(np.zeros((10, 10), dtype=np.float32), np.random.default_rng(0))
