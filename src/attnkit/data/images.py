"""Loading user images safely: size checked before decoding, every mode to one grayscale form.

A model of this project reads grayscale uint8 images (S, S), dark drawing on white. Any file
Pillow reads is accepted: bilevel, grayscale, RGB, CMYK, YCbCr, LAB (its lightness), images
with an alpha band or a transparent colour (composited on white, so a transparent background is
white, not black), palette (with or without transparency), 16-bit, 32-bit and float images
(stretched from their darkest to their lightest value). The image is scaled to fit S x S
keeping its aspect ratio and centred on white.
A file that is missing, not an image, corrupt, larger than `max_pixels` or more than
`MAX_ASPECT` times longer than wide raises AttnkitError; size and shape are read from the
header, before the pixels are decoded. `Placement` maps a position on the model's S x S canvas
back to the user's image (to report where an atom was read).
"""

from __future__ import annotations

import glob
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from attnkit.errors import AttnkitError

MAX_PIXELS = 40_000_000  # about 6300 x 6300; a decompression bomb is refused before decoding
MAX_ASPECT = 20  # a 40-megapixel strip 1 px wide would still cost gigabytes to scale
# Formats Pillow decodes itself; EPS and others would hand the bytes to outside programs
# (Ghostscript), so a file is opened as one of these or not at all, whatever its name says.
IMAGE_FORMATS = ("PNG", "JPEG", "GIF", "BMP", "TIFF", "WEBP")


@dataclass(frozen=True)
class Placement:
    """Where an image of `width` x `height` pixels lies on the S x S canvas: scaled by `scale`,
    the corner of the part placed at (`left`, `top`); that part starts at (`crop_left`,
    `crop_top`) of the image (0, 0 unless it was cropped to its ink)."""

    width: int
    height: int
    scale: float
    left: int
    top: int
    crop_left: int = 0
    crop_top: int = 0

    @classmethod
    def fitting(cls, width: int, height: int, image_size: int) -> Placement:
        """Scaled to fit S x S keeping the aspect ratio, centred."""
        scale = image_size / max(width, height)
        fitted_width, fitted_height = max(1, round(width * scale)), max(1, round(height * scale))
        return cls(width, height, scale, (image_size - fitted_width) // 2,
                   (image_size - fitted_height) // 2)

    def to_image(self, points: np.ndarray) -> np.ndarray:
        """(..., 2) canvas pixel positions (x, y) -> positions in the original image."""
        return (points - np.array([self.left, self.top])) / self.scale + \
            np.array([self.crop_left, self.crop_top])


def load_image(path: str | Path, image_size: int, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """The image at `path` as uint8 (S, S) grayscale with S = `image_size`."""
    return load_placed_image(path, image_size, max_pixels)[0]


def load_placed_image(path: str | Path, image_size: int, max_pixels: int = MAX_PIXELS,
                      crop: bool = False) -> tuple[np.ndarray, Placement]:
    """The image at `path` as uint8 (S, S) grayscale, and where it lies on that canvas; with
    `crop`, only its ink (`drawing.ink.crop_to_ink`) is placed."""
    # a JPEG may be decoded at a reduced size; a crop keeps 4 times the canvas's resolution
    gray, width, height = decode_file(path, image_size * (4 if crop else 1), max_pixels)
    return placed(gray, width, height, image_size, crop)


def decode_file(path: str | Path, draft_size: int, max_pixels: int = MAX_PIXELS,
                colour: bool = False) -> tuple[np.ndarray, int, int]:
    """The image at `path` as uint8 (h, w) grayscale (with `colour`, `to_colour`'s form; a
    JPEG perhaps decoded smaller, down to about `draft_size`), and its full width and height,
    read from the header first."""
    from PIL import Image, UnidentifiedImageError

    path = Path(path)
    if not path.is_file():
        raise AttnkitError(f"image not found: {path}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path, formats=IMAGE_FORMATS) as image:
                width, height = image.size
                if width * height > max_pixels:
                    raise AttnkitError(f"{path} is {width} x {height} pixels, more than the "
                                       f"limit of {max_pixels:,}; scale it down first")
                if max(width, height) > MAX_ASPECT * min(width, height):
                    raise AttnkitError(f"{path} is {width} x {height} pixels: more than "
                                       f"{MAX_ASPECT} times longer than wide; crop it first")
                if not colour:
                    image.draft("L", (draft_size, draft_size))  # JPEG: decode at reduced size
                image.load()
                return (to_colour if colour else to_grayscale)(image, str(path)), width, height
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise AttnkitError(f"{path} is too large to decode safely ({error})") from None
    except UnidentifiedImageError:
        raise AttnkitError(f"{path} is not an image attnkit reads "
                           f"({', '.join(IMAGE_FORMATS)})") from None
    except (OSError, SyntaxError, ValueError) as error:
        raise AttnkitError(f"{path} is a corrupt or truncated image ({error})") from None


def placed(gray: np.ndarray, width: int, height: int, image_size: int,
           crop: bool = False) -> tuple[np.ndarray, Placement]:
    """gray (h, w), the picture of a `width` x `height` image (smaller when decoded at a
    reduced size), fitted on the S x S canvas, and where it lies there; with `crop`, only the
    box of its ink is placed."""
    shrink = gray.shape[1] / width  # decoded pixels per image pixel (1 unless drafted)
    left = top = 0
    if crop:
        from attnkit.data.drawing.ink import crop_to_ink

        gray, (left, top, _, _) = crop_to_ink(gray)
    decoded = Placement.fitting(gray.shape[1], gray.shape[0], image_size)
    placement = Placement(width, height, decoded.scale * shrink, decoded.left, decoded.top,
                          round(left / shrink), round(top / shrink))
    return fit_on_white(np.ascontiguousarray(gray), image_size), placement


def own_size_picture(image: str | Path | np.ndarray | Any,
                     where: str = "the image") -> np.ndarray:
    """Any image `read_image` takes, at its own size and in its colours (`to_colour`): what a
    second reader such as OSRA is given (`pipelines.img2seq.osra`). Colour is kept because a
    grey conversion makes coloured atom labels faint (RDKit's yellow S)."""
    from PIL import Image

    if isinstance(image, (str, Path)):
        return decode_file(image, 1 << 16, colour=True)[0]
    if isinstance(image, np.ndarray):
        image = Image.fromarray(image)
    return to_colour(image, where)


def read_image(image: str | Path | np.ndarray | Any, image_size: int,
               where: str = "the image", crop: bool = False) -> tuple[np.ndarray, Placement]:
    """Any image a user can give, as a model reads it: uint8 (S, S) gray, and where it lies
    on that canvas. A file path (opened by `load_placed_image`, formats `IMAGE_FORMATS` only),
    a PIL image (an upload the server decoded) or a uint8 array (H, W) gray or (H, W, 3|4)
    RGB(A). With `crop`, the box of its ink is placed, not the whole canvas. The one way images
    come in, for the CLI, the Python API and the server."""
    from PIL import Image

    if isinstance(image, (str, Path)):
        return load_placed_image(image, image_size, crop=crop)
    if isinstance(image, np.ndarray):
        if image.dtype != np.uint8 or not (image.ndim == 2 or (
                image.ndim == 3 and image.shape[2] in (3, 4))):
            raise AttnkitError(f"{where}: expected a uint8 array (H, W), (H, W, 3) or "
                               f"(H, W, 4), got {image.dtype} {image.shape}")
        image = Image.fromarray(image)
    if not isinstance(image, Image.Image):
        raise AttnkitError(f"{where}: expected a file path, a PIL image or a uint8 array, "
                           f"got {type(image).__name__}")
    width, height = image.size
    if min(width, height) < 1 or max(width, height) > MAX_ASPECT * min(width, height):
        raise AttnkitError(f"{where} is {width} x {height} pixels: empty, or more than "
                           f"{MAX_ASPECT} times longer than wide; crop it first")
    return placed(to_grayscale(image, where), width, height, image_size, crop)


NUMBER_MODES = ("I", "I;16", "I;16B", "I;16L", "I;16N", "F")  # 16/32-bit integers, floats
COLOUR_MODES = ("RGB", "RGBA", "RGBa", "RGBX", "P", "PA", "CMYK", "YCbCr")


def to_colour(image, name: str = "the image") -> np.ndarray:  # noqa: ANN001 - a PIL image
    """A colour image -> uint8 (H, W, 3) RGB, transparent pixels white; any other mode ->
    `to_grayscale`'s (H, W)."""
    if image.mode not in COLOUR_MODES:
        return to_grayscale(image, name)
    return np.asarray(on_white(image).convert("RGB"), dtype=np.uint8)


def on_white(image):  # noqa: ANN001, ANN201 - PIL images
    """The image as RGBA laid on white: its transparent pixels (alpha, or a palette's
    transparent colour, which Pillow turns into alpha) become white."""
    from PIL import Image

    rgba = image.convert("RGBA")
    return Image.alpha_composite(Image.new("RGBA", rgba.size, (255, 255, 255, 255)), rgba)


def to_grayscale(image, name: str = "the image") -> np.ndarray:  # noqa: ANN001 - a PIL image
    """Any Pillow mode -> uint8 (H, W); transparent pixels (an alpha band, or the transparent
    colour of a palette, grayscale or RGB image) become white. A mode Pillow cannot turn into
    grayscale is an AttnkitError naming `name` and the mode."""
    if image.mode in NUMBER_MODES:
        return stretched(np.asarray(image, dtype=np.float64))
    if image.mode == "LAB":
        return np.asarray(image.getchannel("L"), dtype=np.uint8)  # lightness, 0 black
    if image.mode in ("P", "PA") or image.info.get("transparency") is not None:
        image = image.convert("RGBA")  # Pillow turns a transparent colour into alpha
    try:
        if image.mode in ("RGBA", "LA", "RGBa"):
            image = on_white(image)
        return np.asarray(image.convert("L"), dtype=np.uint8)
    except ValueError:  # "conversion from <mode> to L not supported"
        raise AttnkitError(f"{name} is in Pillow mode {image.mode}, which attnkit cannot "
                           "read as grayscale; save it as RGB or grayscale") from None


def stretched(values: np.ndarray) -> np.ndarray:
    """(H, W) numbers -> uint8 (H, W), the darkest finite value 0 and the lightest 255; a
    pixel that is not a finite number (no data) is white, and so is an image of one value."""
    finite = np.isfinite(values)
    if not finite.any():
        return np.full(values.shape, 255, dtype=np.uint8)
    low, high = float(values[finite].min()), float(values[finite].max())
    values = np.where(finite, values, high)
    if high == low:
        return np.full(values.shape, 255, dtype=np.uint8)
    return ((values - low) / (high - low) * 255).round().astype(np.uint8)


def fit_on_white(gray: np.ndarray, image_size: int) -> np.ndarray:
    """Scale (H, W) to fit S x S keeping the aspect ratio; centre it on white."""
    from PIL import Image

    H, W = gray.shape
    place = Placement.fitting(W, H, image_size)
    width, height = max(1, round(W * place.scale)), max(1, round(H * place.scale))
    resized = np.asarray(Image.fromarray(gray).resize((width, height),
                                                      Image.Resampling.LANCZOS))
    canvas = np.full((image_size, image_size), 255, dtype=np.uint8)
    canvas[place.top: place.top + height, place.left: place.left + width] = resized
    return canvas


IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".webp")


def image_paths(arguments: Sequence[str | Path]) -> list[Path]:
    """Command-line image arguments -> files, in order: a file is itself, a folder gives its
    image files (by suffix, recursively, sorted), a pattern with `*`, `?` or `[` gives the files
    it matches (sorted; `**` descends). One that names nothing is an AttnkitError."""
    paths: list[Path] = []
    for argument in arguments:
        path = Path(argument)
        if path.is_file():
            paths.append(path)
        elif path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES
                           and p.is_file())
            if not found:
                raise AttnkitError(f"folder {path} holds no image files "
                                   f"({', '.join(IMAGE_SUFFIXES)})")
            paths += found
        elif glob.has_magic(str(argument)):
            found = sorted(Path(p) for p in glob.glob(str(argument), recursive=True)
                           if Path(p).is_file())
            if not found:
                raise AttnkitError(f"no file matches {argument}")
            paths += found
        else:
            raise AttnkitError(f"image not found: {path}")
    return paths
