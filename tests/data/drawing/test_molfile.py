"""Reading 2-D layouts from SD records (a record written by hand here)."""

from __future__ import annotations

import numpy as np

from attnkit.data.drawing.molfile import read_sd_records

ETHANOL = """7
  hand-written

  3  2  0  0  0  0  0  0  0  0999 V2000
    0.0000    0.0000    0.0000 C   0  0  0  0  0  0  0  0  0  0  0  0
    0.8660    0.5000    0.0000 C   0  0  0  0  0  0  0  0  0  0  0  0
    1.7320    0.0000    0.0000 O   0  0  0  0  0  0  0  0  0  0  0  0
  1  2  1  0  0  0  0
  2  3  1  0  0  0  0
M  END
$$$$
"""


def test_a_record_gives_title_symbols_coordinates_and_bonds() -> None:
    (record,) = read_sd_records(ETHANOL + "not a record\n$$$$\n")
    assert record.title == "7" and record.symbols == ["C", "C", "O"]
    np.testing.assert_allclose(record.coordinates, [[0, 0], [0.866, 0.5], [1.732, 0]])
    assert record.bonds.tolist() == [[0, 1], [1, 2]]
    assert abs(record.mean_bond_length() - 1.0) < 1e-3
