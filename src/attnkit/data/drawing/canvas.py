"""What every toolkit renderer does with its raw picture: grayscale on white, fitted to the
caller's canvas with the atom positions moved along, and the check that the toolkit numbered
the atoms as RDKit does."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from attnkit.data.chem import parse_molecule
from attnkit.data.drawing.depiction import Depiction
from attnkit.data.images import Placement, fit_on_white
from attnkit.errors import AttnkitError


def rdkit_elements(smiles: str) -> list[str]:
    """The element symbol of each atom RDKit parses from `smiles`, in RDKit's atom order; an
    AttnkitError when RDKit cannot parse it (a drawing nobody can label is no use)."""
    molecule = parse_molecule(smiles)
    if molecule is None:
        raise AttnkitError(f"RDKit cannot parse the SMILES {smiles!r}")
    return [atom.GetSymbol() for atom in molecule.GetAtoms()]


def positions_in_rdkit_order(positions: np.ndarray | None, toolkit_elements: Sequence[str],
                             elements: Sequence[str]) -> np.ndarray | None:
    """`positions` (N, 2) when the toolkit's atom i is RDKit's atom i for every i (same count,
    same element per index), else None: a toolkit that reorders atoms (or adds explicit
    hydrogens RDKit folds away) gives no positions rather than wrong ones."""
    if positions is None or list(toolkit_elements) != list(elements):
        return None
    return positions


def fitted(image: np.ndarray, atoms: np.ndarray | None, size: int | None) -> Depiction:
    """image (H, W) uint8 and atoms (N, 2) -> a Depiction of `size` x `size` (scaled to fit
    keeping the aspect ratio, centred on white, atoms moved with it), or as drawn when `size`
    is None."""
    if size is None:
        return Depiction(image, atoms)
    H, W = image.shape
    place = Placement.fitting(W, H, size)
    resized = fit_on_white(image, size)
    if atoms is not None:
        # fit_on_white rounds the scaled width and height: each axis has its own exact factor
        factor = np.array([max(1, round(W * place.scale)) / W,
                           max(1, round(H * place.scale)) / H])
        atoms = (atoms * factor + np.array([place.left, place.top])).astype(np.float32)
    return Depiction(resized, atoms)


def on_white(rgba: np.ndarray) -> np.ndarray:
    """(H, W, 4) uint8 RGBA -> (H, W, 3) float64 RGB composited on white."""
    alpha = rgba[..., 3:4].astype(np.float64) / 255
    return rgba[..., :3] * alpha + 255 * (1 - alpha)


def grayscale(rgb: np.ndarray) -> np.ndarray:
    """(H, W, 3) RGB (0..255, any number type) -> (H, W) uint8, ITU-R 601 luma as Pillow's
    "L" conversion weighs it."""
    luma = rgb[..., 0] * 0.299 + rgb[..., 1] * 0.587 + rgb[..., 2] * 0.114
    return np.clip(np.rint(luma), 0, 255).astype(np.uint8)


def check_size(size: int | None) -> None:
    if size is not None and not 32 <= size <= 4096:
        raise AttnkitError(f"drawing size must be in [32, 4096] pixels or None, got {size}")
