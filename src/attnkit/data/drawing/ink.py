"""Read the molecule, not the canvas: the box around a drawing's ink, leaving out small marks
that lie clearly apart from it (a compound number such as "(37)" beside the molecule, a page
mark), so that a wide page squeezed into a small input keeps its labels legible.

The rule (`crop_to_ink`), with its parameters:
1. Ink is every pixel darker than `threshold`: by default 4 standard deviations of the paper's
   noise below the paper (the median pixel; the deviation is read from the first quartile; at
   least 16 gray levels, at most half-way to black), so thin anti-aliased gray lines count on
   clean paper and noise does not on a noisy scan. Ink is split into pieces (8-connected); a
   piece that nowhere reaches 16 gray levels further (`dark_threshold`) is paper texture, and
   pieces of fewer than `dust` x the largest piece's pixels, or of 1 or 2 pixels, are specks:
   both are ignored.
2. Pieces closer to each other than `join` x the larger side of the smaller of the two (letters
   of one word, an atom label and its bond, the pieces of a dashed line) form one group.
3. The drawing starts as the group with the largest box (its box, not its ink: a molecule
   drawn in thin lines spans more than a caption in bold letters) and grows one group at a
   time, always by the group nearest to its box (the gap between the two boxes). A group may
   join when its gap is at most `far` x the larger side of the drawing's box so far, or when
   its box is at least `small` x the area of the drawing's box so far (then it is part of the
   picture wherever it is: the other half of a salt, a second molecule). What cannot join is
   left out: small and far.
4. Groups with less than `speck` x the first group's ink (specks of a scan, a charge sign)
   take no part in that growth, which they could otherwise carry across a speckled page;
   those within a tenth of the drawing's size of its box are added to it at the end.
5. When what is left out holds more ink than what is kept, the drawing was not found (a faint
   molecule broken into specks beside a bold caption): the box then holds all the ink.

Why this keeps every part of a molecule: its parts lie within a fraction of its size of each
other (a label a few pixels from its bond; a counter-ion such as Na+ or HCl about one bond
length from the rest, while even acetate is two bonds across), so they join; a compound number
is left out only when it is further away than half the molecule's larger side (the default
`far`): two bond lengths for a molecule four bonds across. A label nearer than that stays: a
box a little too large costs less than a molecule with a piece missing.
"""

from __future__ import annotations

import numpy as np

from attnkit.errors import AttnkitError

MAX_PIECES = 2000  # beyond this many the smallest pieces count as specks (noise)


def crop_to_ink(image: np.ndarray, threshold: float | None = None, far: float = 0.5,
                small: float = 0.5, join: float = 0.5, speck: float = 0.01,
                dust: float = 0.005,
                margin: float = 0.03) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """image (H, W) uint8, dark on white -> (the cropped view (h, w), its box (left, top,
    right, bottom) in the input's pixels, right and bottom exclusive). The box holds the
    drawing's ink (the rule is in the module's docstring) and a white margin of `margin` x its
    larger side (at least 2 pixels), within the image. An image without ink gives itself back
    with the box (0, 0, W, H): the caller decides what a blank picture means."""
    if image.ndim != 2 or image.dtype != np.uint8 or image.size == 0:
        raise AttnkitError(f"crop_to_ink takes a (H, W) uint8 image, got {image.dtype} "
                           f"{image.shape}")
    H, W = image.shape
    level = paper_threshold(image) if threshold is None else threshold
    boxes, inks = ink_pieces(image < level, image < dark_threshold(level), dust)
    if len(boxes) == 0:
        return image, (0, 0, W, H)
    boxes, inks = grouped(boxes, inks, join)
    left, top, right, bottom = drawing_box(boxes, inks, far, small, speck)
    pad = max(2, round(margin * max(right - left, bottom - top)))
    box = (max(0, left - pad), max(0, top - pad), min(W, right + pad), min(H, bottom + pad))
    return image[box[1]: box[3], box[0]: box[2]], box


def paper_threshold(image: np.ndarray) -> float:
    """The gray level below which a pixel of `image` (H, W) is ink rather than paper: 4 noise
    deviations below the paper (at least 16 levels, at most half-way to black)."""
    paper = float(np.median(image))
    # noise on white paper is clipped at 255, so its spread is read on the dark side only
    noise = (paper - float(np.percentile(image, 25))) / 0.674
    return max(paper - max(16.0, 4.0 * noise), paper / 2)


def dark_threshold(level: float) -> float:
    """The gray level that a piece of ink must reach somewhere: 16 levels below `level` (the
    specks of noise that cross `level` seldom go much further)."""
    return level - 16.0


def ink_pieces(light: np.ndarray, dark: np.ndarray,
               dust: float) -> tuple[np.ndarray, np.ndarray]:
    """light, dark (H, W) bool -> boxes (K, 4) int (left, top, right, bottom) and ink (K,)
    pixels of the 8-connected pieces of `light` that hold a `dark` pixel, specks left out."""
    try:
        from scipy import ndimage
    except ImportError:
        raise AttnkitError("cropping drawings needs SciPy: pip install attnkit[chem]") from None
    labels, count = ndimage.label(light, structure=np.ones((3, 3), dtype=bool))
    reaches_dark = np.zeros(count + 1, dtype=bool)
    reaches_dark[labels[dark]] = True
    if count == 0 or not reaches_dark[1:].any():
        return np.zeros((0, 4), dtype=np.int64), np.zeros(0, dtype=np.int64)
    inks = np.where(reaches_dark, np.bincount(labels.ravel(), minlength=count + 1), 0)[1:]
    boxes = np.array([[s[1].start, s[0].start, s[1].stop, s[0].stop]
                      for s in ndimage.find_objects(labels)])
    keep = inks >= max(3.0, dust * inks.max())
    keep[np.argmax(inks)] = True  # a drawing of specks alone still has a largest one
    kept = np.flatnonzero(keep)
    kept = kept[np.argsort(-inks[kept], kind="stable")[:MAX_PIECES]]
    return boxes[kept], inks[kept]


def grouped(boxes: np.ndarray, inks: np.ndarray, join: float) -> tuple[np.ndarray, np.ndarray]:
    """Pieces (K, 4), (K,) -> groups (G, 4), (G,): pieces whose gap is at most `join` x the
    larger side of the smaller piece are joined, and so on transitively (union-find)."""
    sides = np.maximum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1])
    parent = np.arange(len(boxes))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(len(boxes) - 1):
        gaps = box_gaps(boxes[i + 1:], boxes[i])
        for j in np.flatnonzero(gaps <= join * np.minimum(sides[i + 1:], sides[i])) + i + 1:
            parent[root(int(j))] = root(i)
    roots = np.array([root(i) for i in range(len(boxes))])
    groups = np.unique(roots)
    group_boxes = np.array([[boxes[roots == g, 0].min(), boxes[roots == g, 1].min(),
                             boxes[roots == g, 2].max(), boxes[roots == g, 3].max()]
                            for g in groups])
    return group_boxes, np.array([inks[roots == g].sum() for g in groups])


def drawing_box(boxes: np.ndarray, inks: np.ndarray, far: float, small: float,
                speck: float) -> tuple[int, int, int, int]:
    """groups (G, 4), (G,) -> the box of the groups the drawing takes in (rules 3 to 5)."""
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    first = int(np.argmax(areas))
    box = boxes[first].astype(np.float64)
    tiny = inks < speck * inks[first]
    waiting = ~tiny
    waiting[first] = False
    while waiting.any():
        candidates = np.flatnonzero(waiting)
        gaps = box_gaps(boxes[candidates], box)
        size = max(box[2] - box[0], box[3] - box[1])
        area = (box[2] - box[0]) * (box[3] - box[1])
        joinable = (gaps <= far * size) | (areas[candidates] >= small * area)
        if not joinable.any():
            break
        nearest = candidates[joinable][np.argmin(gaps[joinable])]
        box = merged(box, boxes[nearest])
        waiting[nearest] = False
    kept = ~waiting & ~tiny
    if inks[kept].sum() < inks[waiting].sum():  # rule 5: the drawing was not found
        kept = ~tiny
        box = np.concatenate([boxes[kept, :2].min(axis=0), boxes[kept, 2:].max(axis=0)])
    size = max(box[2] - box[0], box[3] - box[1])
    for touching in np.flatnonzero(tiny & (box_gaps(boxes, box) <= 0.1 * size)):
        box = merged(box, boxes[touching])
    return int(box[0]), int(box[1]), int(box[2]), int(box[3])


def merged(box: np.ndarray, other: np.ndarray) -> np.ndarray:
    return np.concatenate([np.minimum(box[:2], other[:2]), np.maximum(box[2:], other[2:])])


def box_gaps(boxes: np.ndarray, box: np.ndarray) -> np.ndarray:
    """boxes (K, 4), box (4,) -> (K,) the Euclidean distance between each box and `box`
    (0 where they overlap or touch)."""
    across = np.maximum(0, np.maximum(boxes[:, 0] - box[2], box[0] - boxes[:, 2]))
    down = np.maximum(0, np.maximum(boxes[:, 1] - box[3], box[1] - boxes[:, 3]))
    return np.hypot(across, down)
