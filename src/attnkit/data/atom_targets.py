"""Where each target token was drawn: the supervision signals of an image-to-SMILES model.

A rendered molecule comes with the drawing position of every atom its SMILES writes (in that
order, `molecule_render.MoleculeDrawing.atoms`). From them, per target token:
- `token_positions`: the pixel position the decoder should attend to while writing the token.
  Atom tokens get their atom's position; the other tokens (bonds, branches, ring digits) get
  what `non_atom` says: nothing (NaN), the previous atom's position or the next atom's.
- `cell_tokens`: for a G x G grid over the image, the atom token drawn in each cell (0 where
  none is), the target of the encoder's training-only cell head.
And back, for a trained model: `attended_points`, where on the image each step looked.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np

NonAtomTarget = Literal["none", "previous", "next"]
NON_ATOM_TARGETS = ("none", "previous", "next")


def token_positions(ids: Sequence[int], atoms: np.ndarray, is_atom: np.ndarray,
                    non_atom: NonAtomTarget = "none") -> np.ndarray:
    """ids (T,) token ids, atoms (M, 2) the atom positions in writing order (NaN rows past the
    last atom are ignored), is_atom (V,) bool -> positions (T, 2) float32, NaN = no target."""
    flags = is_atom[np.asarray(ids, dtype=np.int64)]
    count = int(flags.sum())
    if count > len(atoms) or np.isnan(atoms[:count]).any():
        raise ValueError(f"the tokens write {count} atoms but only "
                         f"{int((~np.isnan(atoms[:, 0])).sum())} positions are known")
    atom_index = np.cumsum(flags) - 1  # the latest atom written at or before each token
    positions = np.full((len(flags), 2), np.nan, dtype=np.float32)
    positions[flags] = atoms[:count]
    if non_atom == "previous":
        seen = ~flags & (atom_index >= 0)
        positions[seen] = atoms[atom_index[seen]]
    elif non_atom == "next":
        ahead = ~flags & (atom_index + 1 < count)
        positions[ahead] = atoms[atom_index[ahead] + 1]
    return positions


def cell_tokens(ids: Sequence[int], atoms: np.ndarray, is_atom: np.ndarray, grid_size: int,
                image_size: int) -> np.ndarray:
    """-> (G * G,) int64, row-major: the id of the atom token drawn in each cell, 0 where no
    atom is (when two atoms share a cell the later one is kept)."""
    ids = np.asarray(ids, dtype=np.int64)
    atom_ids = ids[is_atom[ids]]
    cell = image_size / grid_size
    columns, rows = (np.clip(atoms[: len(atom_ids)] // cell, 0, grid_size - 1)
                     .astype(np.int64).T)
    cells = np.zeros(grid_size * grid_size, dtype=np.int64)
    cells[rows * grid_size + columns] = atom_ids
    return cells


def attended_points(attention: np.ndarray, grid_size: int, image_size: int) -> np.ndarray:
    """The inverse reading: attention (T, P) over a G x G grid -> (T, 2) pixel positions (x, y),
    each the attention-weighted centre of the 3 x 3 cells around that step's peak (finer than
    one cell, and not pulled away by weight elsewhere in the image)."""
    T = attention.shape[0]
    grid = attention.reshape(T, grid_size, grid_size)
    peak_rows, peak_columns = np.divmod(attention.argmax(-1), grid_size)
    cell = image_size / grid_size
    points = np.empty((T, 2), dtype=np.float32)
    for t in range(T):
        rows = np.arange(max(peak_rows[t] - 1, 0), min(peak_rows[t] + 2, grid_size))
        columns = np.arange(max(peak_columns[t] - 1, 0), min(peak_columns[t] + 2, grid_size))
        weights = grid[t][np.ix_(rows, columns)]
        total = max(float(weights.sum()), 1e-12)
        points[t, 0] = (weights.sum(0) @ (columns + 0.5)) / total * cell
        points[t, 1] = (weights.sum(1) @ (rows + 0.5)) / total * cell
    return points
