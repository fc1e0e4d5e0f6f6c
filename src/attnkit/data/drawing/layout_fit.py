"""Where a renderer drew each atom, found from the ink of its bonds.

Some renderers (Indigo) say where the atoms lie in their own layout but not where that layout
landed on the picture: they place the drawing by a bounding box that includes the atom labels,
measured with the font metrics of the output surface. The layout is only scaled and shifted,
so two or three numbers are unknown: `fit_layout` finds them from the pixels of bonds drawn
along their axis (single and aromatic bonds, which the caller marks in a colour of their own).

First a grid search over shifts scores how much bond ink lies under points along the middle of
each bond (the ends may be cut short by labels); then a weighted least-squares fit of the
perpendicular distance of every ink pixel to its bond's axis refines scale and shift to a
fraction of a pixel. Coordinates are continuous: pixel (column i, row j) covers [i, i+1) x
[j, j+1), so its centre is (i + 0.5, j + 0.5), as Cairo and RDKit place points.
"""

from __future__ import annotations

import numpy as np

# Where along a bond its ink is sampled in the grid search: a bond between two labelled atoms
# (every carbon labelled, small bonds) shows little more than its middle third.
MIDDLE = np.linspace(0.42, 0.58, 5)
MIN_COVERED = 0.75  # share of those samples that must fall on ink for a fit to count
OWN_SPAN = (0.2, 0.8)  # the part of a bond whose ink near its axis the least squares fit uses
MAX_SCALE_CHANGE = 0.1  # a fitted scale further from the renderer's own is a misfit: kept out


def fit_layout(layout: np.ndarray, bonds: np.ndarray, ink: np.ndarray,
               scale: float) -> np.ndarray | None:
    """layout (N, 2) atom coordinates (x right, y down, any unit); bonds (M, 2) atom index pairs
    drawn as one line along their axis; ink (H, W) in [0, 1], the ink of those bonds only;
    `scale` pixels per layout unit, roughly -> where each atom was drawn, (N, 2) float32 pixels;
    None when the bonds do not pin the drawing down (no bond, or too little of their ink
    found)."""
    if len(bonds) == 0:
        return None
    layout = np.asarray(layout, dtype=np.float64)
    shift = grid_shift(layout * scale, bonds, ink)
    if shift is None:
        return None
    for _ in range(2):  # reassign the pixels once with the refined estimate
        scale, shift = least_squares(layout, bonds, ink, scale, shift)
    return (layout * scale + shift).astype(np.float32)


def middle_points(points: np.ndarray, bonds: np.ndarray) -> np.ndarray:
    """(N, 2) atoms, (M, 2) bonds -> (M * len(MIDDLE), 2) points along each bond's middle."""
    start, end = points[bonds[:, 0]], points[bonds[:, 1]]
    return (start[:, None] + MIDDLE[None, :, None] * (end - start)[:, None]).reshape(-1, 2)


def grid_shift(points: np.ndarray, bonds: np.ndarray, ink: np.ndarray) -> np.ndarray | None:
    """The whole-pixel shift (2,) that puts the most ink under the bonds' middles, every atom
    inside the image; None when no shift covers MIN_COVERED of the samples."""
    H, W = ink.shape
    low = -points.min(axis=0)
    high = np.array([W, H]) - points.max(axis=0)
    if np.any(high < low):
        return None
    samples = middle_points(points, bonds)
    tolerant = spread(ink > 0.1, 1)  # a sample a pixel off a (thin, faint) line still counts
    coarse = spread(tolerant, 2)
    best = best_shift(coarse, samples, low, high, step=4)
    near_low, near_high = np.maximum(low, best - 4), np.minimum(high, best + 4)
    best = best_shift(tolerant, samples, near_low, near_high, step=1)
    covered = tolerant[pixel_index(samples + best, H, W)].mean()
    return best if covered >= MIN_COVERED else None


def best_shift(mask: np.ndarray, samples: np.ndarray, low: np.ndarray, high: np.ndarray,
               step: int) -> np.ndarray:
    """Among shifts low..high (x, y) by `step`, the one with most samples on `mask`."""
    H, W = mask.shape
    xs = np.arange(np.floor(low[0]), np.ceil(high[0]) + 1, step)
    ys = np.arange(np.floor(low[1]), np.ceil(high[1]) + 1, step)
    columns = np.clip(np.floor(samples[:, 0, None] + xs[None]), 0, W - 1).astype(int)  # (K, X)
    rows = np.clip(np.floor(samples[:, 1, None] + ys[None]), 0, H - 1).astype(int)  # (K, Y)
    scores = mask[rows[:, :, None], columns[:, None, :]].sum(axis=0)  # (Y, X)
    y, x = np.unravel_index(np.argmax(scores), scores.shape)
    return np.array([xs[x], ys[y]], dtype=np.float64)


def least_squares(layout: np.ndarray, bonds: np.ndarray, ink: np.ndarray, scale: float,
                  shift: np.ndarray) -> tuple[float, np.ndarray]:
    """Refined (scale, shift): each ink pixel along the middle of a bond (OWN_SPAN) and near its
    axis should lie on that axis. Scale stays as given when the bonds cannot fix it (all
    parallel and through one line), and so does the shift along a direction no bond crosses."""
    rows, columns = np.nonzero(ink > 0.05)
    pixels = np.stack([columns + 0.5, rows + 0.5], axis=1)
    weights = ink[rows, columns]
    start, end = layout[bonds[:, 0]], layout[bonds[:, 1]]
    direction = (end - start) * scale
    length = np.linalg.norm(direction, axis=1, keepdims=True)
    direction = direction / np.maximum(length, 1e-9)
    normal = np.stack([-direction[:, 1], direction[:, 0]], axis=1)
    offset = pixels[:, None, :] - (start * scale + shift)[None]  # (P, M, 2)
    along = (offset * direction[None]).sum(-1) / np.maximum(length[:, 0], 1e-9)[None]
    across = (offset * normal[None]).sum(-1)
    # the band is narrow against small drawings, where a ring's aromatic circle runs close
    band = float(np.clip(0.12 * np.median(length), 1.5, 3.0))
    member = (along > OWN_SPAN[0]) & (along < OWN_SPAN[1]) & (np.abs(across) < band)
    own = member & (member.sum(axis=1, keepdims=True) == 1)
    pixel, bond = np.nonzero(own)
    if len(pixel) < 6:
        return scale, shift
    n = normal[bond]
    design = np.stack([(n * start[bond]).sum(1), n[:, 0], n[:, 1]], axis=1)
    target = (n * pixels[pixel]).sum(1)
    root = np.sqrt(weights[pixel])
    solution, _, rank, _ = np.linalg.lstsq(design * root[:, None], target * root, rcond=1e-6)
    if rank == 3 and abs(solution[0] / scale - 1) < MAX_SCALE_CHANGE:
        return float(solution[0]), solution[1:]
    # scale unknowable: fit the shift alone, keeping its current value along a free direction
    target = target - scale * design[:, 0]
    step, _, rank, _ = np.linalg.lstsq(design[:, 1:] * root[:, None],
                                       (target - design[:, 1:] @ shift) * root, rcond=1e-6)
    return scale, shift + step


def spread(mask: np.ndarray, radius: int) -> np.ndarray:
    """Boolean mask grown by `radius` pixels in x and y (a square maximum filter)."""
    grown = mask.copy()
    for axis in (0, 1):
        source = grown.copy()
        for offset in range(1, radius + 1):
            grown |= np.roll(source, offset, axis) | np.roll(source, -offset, axis)
    return grown


def pixel_index(points: np.ndarray, H: int, W: int) -> tuple[np.ndarray, np.ndarray]:
    """(K, 2) continuous positions -> (rows, columns) of the pixels holding them, clipped."""
    columns = np.clip(np.floor(points[:, 0]), 0, W - 1).astype(int)
    rows = np.clip(np.floor(points[:, 1]), 0, H - 1).astype(int)
    return rows, columns
