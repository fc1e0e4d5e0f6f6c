"""Where points go when a picture is padded, rotated, sheared or scaled: a 2-D affine map, and
the warp of a picture by it.

Coordinates are continuous pixels, x right and y down: pixel (row i, column j) covers
[j, j + 1) x [i, i + 1), so its centre is (j + 0.5, i + 0.5). RDKit's `GetDrawCoords` and
Pillow's geometric transforms use the same convention.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, eq=False)
class Affine:
    """matrix (2, 3): the point (x, y) moves to matrix @ (x, y, 1)."""

    matrix: np.ndarray

    def __post_init__(self) -> None:
        if np.shape(self.matrix) != (2, 3):
            raise ValueError(f"an affine matrix is 2 x 3, got {np.shape(self.matrix)}")

    @classmethod
    def identity(cls) -> Affine:
        return cls(np.eye(2, 3))

    @classmethod
    def translation(cls, right: float, down: float) -> Affine:
        return cls(np.array([[1.0, 0.0, right], [0.0, 1.0, down]]))

    @classmethod
    def linear(cls, matrix: np.ndarray, centre: tuple[float, float]) -> Affine:
        """The 2 x 2 `matrix` applied about `centre` (x, y), which stays where it is."""
        matrix = np.asarray(matrix, dtype=np.float64)
        centre_xy = np.asarray(centre, dtype=np.float64)
        return cls(np.concatenate([matrix, (centre_xy - matrix @ centre_xy)[:, None]], axis=1))

    def then(self, other: Affine) -> Affine:
        """This map followed by `other`."""
        square = np.vstack([self.matrix, [0.0, 0.0, 1.0]])
        return Affine(other.matrix @ square)

    def inverse(self) -> Affine:
        square = np.linalg.inv(np.vstack([self.matrix, [0.0, 0.0, 1.0]]))
        return Affine(square[:2])

    def __call__(self, points: np.ndarray) -> np.ndarray:
        """points (N, 2) -> (N, 2), same dtype."""
        points = np.asarray(points)
        moved = points.astype(np.float64) @ self.matrix[:, :2].T + self.matrix[:, 2]
        return moved.astype(points.dtype if points.dtype.kind == "f" else np.float64)


def warp(image: np.ndarray, affine: Affine, width: int, height: int) -> np.ndarray:
    """image (H, W) uint8 moved by `affine` onto a white `width` x `height` canvas (bilinear)."""
    from PIL import Image

    coefficients = affine.inverse().matrix.reshape(-1)  # Pillow asks where each output pixel
    moved = Image.fromarray(image).transform((width, height), Image.Transform.AFFINE,
                                             tuple(coefficients), Image.Resampling.BILINEAR,
                                             fillcolor=255)
    return np.asarray(moved)


def bounding_canvas(affine: Affine, width: int, height: int) -> tuple[Affine, int, int]:
    """`affine` followed by the shift that puts the moved W x H picture's corners at
    non-negative coordinates, and the canvas size that holds all of it."""
    corners = np.array([[0, 0], [width, 0], [0, height], [width, height]], dtype=np.float64)
    moved = affine(corners)
    low, high = np.floor(moved.min(axis=0)), np.ceil(moved.max(axis=0))
    shifted = affine.then(Affine.translation(-low[0], -low[1]))
    return shifted, int(high[0] - low[0]), int(high[1] - low[1])
