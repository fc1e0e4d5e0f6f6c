import numpy as np
import pytest

from attnkit.data.atom_targets import attended_points, cell_tokens, token_positions

# a vocabulary: 0 pad, 1 unk, 2 start, 3 end, 4 "C", 5 "O", 6 "(", 7 ")", 8 "1", 9 "="
IS_ATOM = np.array([False, False, False, False, True, True, False, False, False, False])
IDS = [4, 6, 9, 5, 7, 4]  # C(=O)C: three atoms
ATOMS = np.array([[10.0, 20.0], [30.0, 40.0], [50.0, 60.0], [np.nan, np.nan]],
                 dtype=np.float32)


def test_atom_tokens_get_their_atom_and_the_others_what_the_rule_says():
    none = token_positions(IDS, ATOMS, IS_ATOM, "none")
    expected_atoms = {0: ATOMS[0], 3: ATOMS[1], 5: ATOMS[2]}
    for t, position in expected_atoms.items():
        assert np.array_equal(none[t], position)
    assert np.isnan(none[[1, 2, 4]]).all()
    previous = token_positions(IDS, ATOMS, IS_ATOM, "previous")
    assert np.array_equal(previous[[1, 2, 4]], ATOMS[[0, 0, 1]])
    following = token_positions(IDS, ATOMS, IS_ATOM, "next")
    assert np.array_equal(following[[1, 2, 4]], ATOMS[[1, 1, 2]])
    # nothing before the first atom / after the last one
    assert np.isnan(token_positions([6, 4], ATOMS, IS_ATOM, "previous")[0]).all()
    assert np.isnan(token_positions([4, 7], ATOMS, IS_ATOM, "next")[1]).all()


def test_more_atom_tokens_than_known_positions_is_an_error():
    with pytest.raises(ValueError, match="write 4 atoms but only 3 positions"):
        token_positions([4, 4, 4, 4], ATOMS, IS_ATOM)


def test_cell_tokens_put_each_atom_in_its_cell():
    cells = cell_tokens(IDS, ATOMS, IS_ATOM, grid_size=4, image_size=64)  # 16 px cells
    expected = np.zeros(16, dtype=np.int64)
    expected[1 * 4 + 0] = 4  # C at (10, 20): column 0, row 1
    expected[2 * 4 + 1] = 5  # O at (30, 40): column 1, row 2
    expected[3 * 4 + 3] = 4  # C at (50, 60): column 3, row 3
    assert np.array_equal(cells, expected)


def test_attended_points_find_the_peak_and_refine_it_within_the_cell():
    G, S = 4, 64
    attention = np.zeros((2, G * G))
    attention[0, 1 * G + 2] = 1.0  # all on one cell: its centre
    attention[1, 2 * G + 1], attention[1, 2 * G + 2] = 0.75, 0.25  # between two cells
    attention[1, 0] = 0.0
    points = attended_points(attention, G, S)
    np.testing.assert_allclose(points[0], [2.5 * 16, 1.5 * 16])
    np.testing.assert_allclose(points[1], [(0.75 * 1.5 + 0.25 * 2.5) * 16, 2.5 * 16])
    far = np.zeros((1, G * G))
    far[0, 0], far[0, 15] = 0.6, 0.4  # weight far from the peak does not pull the point
    np.testing.assert_allclose(attended_points(far, G, S)[0], [8.0, 8.0])
