"""Loading user images safely: size checked before decoding, every mode to one grayscale form.

A model of this project reads grayscale uint8 images (S, S), dark drawing on white. Any file
Pillow reads is accepted: grayscale, RGB, RGBA/LA (composited on white, so a transparent
background is white, not black), palette (with or without transparency), 16-bit and float
images. The image is scaled to fit S x S keeping its aspect ratio and centred on white.
A file that is missing, not an image, corrupt or larger than `max_pixels` raises AttnkitError;
the pixel count is read from the header, before the pixels are decoded.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from attnkit.errors import AttnkitError

MAX_PIXELS = 40_000_000  # about 6300 x 6300; a decompression bomb is refused before decoding


def load_image(path: str | Path, image_size: int, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """The image at `path` as uint8 (S, S) grayscale with S = `image_size`."""
    from PIL import Image, UnidentifiedImageError

    path = Path(path)
    if not path.is_file():
        raise AttnkitError(f"image not found: {path}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                width, height = image.size
                if width * height > max_pixels:
                    raise AttnkitError(f"{path} is {width} x {height} pixels, more than the "
                                       f"limit of {max_pixels:,}; scale it down first")
                image.draft("L", (image_size, image_size))  # JPEG: decode at reduced size
                image.load()
                gray = to_grayscale(image)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise AttnkitError(f"{path} is too large to decode safely ({error})") from None
    except UnidentifiedImageError as error:
        raise AttnkitError(f"{path} is not an image Pillow can read ({error})") from None
    except (OSError, SyntaxError, ValueError) as error:
        raise AttnkitError(f"{path} is a corrupt or truncated image ({error})") from None
    return fit_on_white(gray, image_size)


def to_grayscale(image) -> np.ndarray:  # noqa: ANN001 - a PIL image; PIL is imported lazily
    """Any Pillow mode -> uint8 (H, W); transparent pixels become white."""
    from PIL import Image

    if image.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
        values = np.asarray(image, dtype=np.float64)
        low, high = float(values.min()), float(values.max())
        scaled = (values - low) / (high - low) * 255 if high > low else np.full_like(values, 255)
        return scaled.round().astype(np.uint8)
    if image.mode == "P" or image.mode == "PA":
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "La", "RGBa"):
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(white, rgba)
    return np.asarray(image.convert("L"), dtype=np.uint8)


def fit_on_white(gray: np.ndarray, image_size: int) -> np.ndarray:
    """Scale (H, W) to fit S x S keeping the aspect ratio; centre it on white."""
    from PIL import Image

    H, W = gray.shape
    scale = image_size / max(H, W)
    height, width = max(1, round(H * scale)), max(1, round(W * scale))
    resized = np.asarray(Image.fromarray(gray).resize((width, height),
                                                      Image.Resampling.LANCZOS))
    canvas = np.full((image_size, image_size), 255, dtype=np.uint8)
    top, left = (image_size - height) // 2, (image_size - width) // 2
    canvas[top: top + height, left: left + width] = resized
    return canvas
