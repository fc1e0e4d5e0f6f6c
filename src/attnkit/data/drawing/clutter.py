"""What lies near a molecule on a page and is not part of it: its compound number ("(37)",
"12a", "Example 4"), a caption, a page mark. Drawn beside, below or above the drawing's ink,
sized and spaced in bond lengths, making the canvas larger where the text does not fit.
"""

from __future__ import annotations

import numpy as np

from attnkit.data.drawing.affine import Affine
from attnkit.data.drawing.fonts import document_fonts
from attnkit.data.drawing.ink import paper_threshold

TEXTS = ("({n})", "{n}", "{n}a", "{n}b", "({n}c)", "Example {n}", "Compound {n}", "Scheme {n}",
         "Fig. {n}", "{n} (R = H)", "IC50 = {n} nM", "{n}, 85%", "ref. {n}", "{n} HCl", "II-{n}")
SIDES = ("right", "below", "left", "above")


def ink_box(image: np.ndarray) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) of all the ink (faint gray lines included); the whole image
    when there is none."""
    rows, columns = np.nonzero(image < paper_threshold(image))
    if len(rows) == 0:
        return 0, 0, image.shape[1], image.shape[0]
    return int(columns.min()), int(rows.min()), int(columns.max()) + 1, int(rows.max()) + 1


def stray_text(image: np.ndarray, rng: np.random.Generator, bond: float,
               gap: tuple[float, float] = (0.3, 4.0)) -> tuple[np.ndarray, Affine]:
    """image (H, W) uint8 with a compound number or caption right of, below, left of or above
    its ink, in letters 0.35-0.8 bond lengths high (`bond` pixels), `gap` (low, high) bond
    lengths away. The canvas grows where the text would not fit. Returns the new image and how
    its points moved (a shift when it grew left or up)."""
    from PIL import Image, ImageDraw, ImageFont

    left, top, right, bottom = ink_box(image)
    text = TEXTS[rng.integers(len(TEXTS))].format(n=int(rng.integers(1, 150)))
    font_size = max(8, round(bond * rng.uniform(0.35, 0.8)))
    fonts = document_fonts()
    font = ImageFont.truetype(str(fonts[rng.integers(len(fonts))]), font_size) if fonts \
        else ImageFont.load_default(font_size)
    box = ImageDraw.Draw(Image.new("L", (1, 1))).textbbox((0, 0), text, font=font)
    text_width, text_height = box[2] - box[0], box[3] - box[1]
    space = round(bond * rng.uniform(*gap)) + 2
    side = SIDES[rng.choice(4, p=[0.35, 0.45, 0.1, 0.1])]
    along = rng.uniform(0, 1)
    if side in ("right", "left"):
        y = top + along * max(0, bottom - top - text_height)
        x = right + space if side == "right" else left - space - text_width
    else:
        x = left + along * max(0, right - left - text_width)
        y = bottom + space if side == "below" else top - space - text_height
    margin = round(bond * rng.uniform(0.2, 1.0)) + 2  # white beyond the text
    grow_left = max(0, -int(np.floor(x)) + margin)
    grow_top = max(0, -int(np.floor(y)) + margin)
    grow_right = max(0, int(np.ceil(x + text_width)) + margin - image.shape[1])
    grow_bottom = max(0, int(np.ceil(y + text_height)) + margin - image.shape[0])
    H, W = image.shape
    canvas = np.full((H + grow_top + grow_bottom, W + grow_left + grow_right), 255, np.uint8)
    canvas[grow_top: grow_top + H, grow_left: grow_left + W] = image
    picture = Image.fromarray(canvas)
    ImageDraw.Draw(picture).text((x + grow_left - box[0], y + grow_top - box[1]), text,
                                 fill=int(rng.integers(0, 60)), font=font)
    return np.asarray(picture), Affine.translation(grow_left, grow_top)


def page_mark(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """image (H, W) uint8 with a short line or a dot near one of its borders (the edge of a
    table, a speck of the scan), or unchanged when that place is within the ink's box."""
    from PIL import Image, ImageDraw

    H, W = image.shape
    x, y = float(rng.uniform(0, W)), float(rng.uniform(0, H))
    edge = float(rng.uniform(0, 0.05))
    if rng.random() < 0.5:
        x = edge * W if rng.random() < 0.5 else (1 - edge) * W
    else:
        y = edge * H if rng.random() < 0.5 else (1 - edge) * H
    size = max(2.0, float(rng.uniform(0.005, 0.04)) * max(H, W))
    vertical = rng.random() < 0.5
    end = (x, y + 2 * size) if vertical else (x + 2 * size, y)
    left, top, right, bottom = ink_box(image)
    if max(x, end[0]) >= left - size and min(x, end[0]) <= right + size and \
            max(y, end[1]) >= top - size and min(y, end[1]) <= bottom + size:
        return image
    picture = Image.fromarray(image.copy())
    draw = ImageDraw.Draw(picture)
    if rng.random() < 0.5:
        draw.ellipse((x, y, x + size / 2, y + size / 2), fill=0)
    else:
        draw.line((x, y, *end), fill=0, width=max(1, round(size / 8)))
    return np.asarray(picture)
