"""Bonds drawn in a tint, to be found again in the picture and then made plain.

A renderer that can colour single bonds (Indigo's highlight, CDK's highlight colour) draws the
bonds `layout_fit` locates in the ink colour pushed a little towards blue: (v, v, v + d) for
ink gray v. A pixel of that colour blended with white keeps red = green and has blue above red
by d times its coverage, which gives the bonds' ink; setting blue back to red gives the picture
as drawn in plain ink (bit for bit where red = green, which gray ink and white always have).
"""

from __future__ import annotations

import numpy as np

from attnkit.data.drawing.canvas import grayscale


def tinted_color(ink: float, tint: float) -> tuple[float, float, float]:
    """The RGB colour (0..1) of tinted bonds drawn in gray `ink` (0 black)."""
    return ink, ink, ink + tint * (1 - ink)


def untinted(rgb: np.ndarray, tint_levels: float) -> tuple[np.ndarray, np.ndarray]:
    """(H, W, 3) RGB (0..255) drawn with some bonds tinted `tint_levels` towards blue ->
    the grayscale image as if untinted (H, W) uint8, and those bonds' ink (H, W) in [0, 1]."""
    red, green, blue = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    tinted = (np.abs(red - green) < 1.0) & (blue > red + 0.5)
    ink = np.where(tinted, np.clip((blue - red) / tint_levels, 0, 1), 0.0)
    plain = rgb.astype(np.float64)
    plain[..., 2] = np.where(tinted, red, blue)
    return grayscale(plain), ink
