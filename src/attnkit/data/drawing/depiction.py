"""What every molecule renderer gives back: the picture, and where it drew each atom."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Depiction:
    """image (H, W) uint8 grayscale, dark ink on white, at the renderer's own size; atoms
    (N, 2) float32: where atom i of the molecule RDKit parses from the SMILES (RDKit's atom
    order) was drawn, x right and y down in pixels of `image`; None when the renderer cannot
    tell."""

    image: np.ndarray
    atoms: np.ndarray | None
