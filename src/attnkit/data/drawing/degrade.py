"""Document-like damage to a clean drawing, seeded: what scanning, printing, faxing and page
layout do to a molecule before a reader sees it.

Steps, each taken with its probability in `Degradation`, in the order a page goes through them:
a wider canvas with the drawing off-centre, stray text beside it (a compound number, a caption)
and a page mark, a small rotation and shear, thinner or thicker strokes, a low-resolution scan
(scaled down and back up), blur, Gaussian and salt-and-pepper noise, JPEG at a low quality, and
last binarisation to 1 bit at a random threshold between the strokes' gray and the paper's
(then every pixel is 0 or 255). Strengths are bounded by the bond length, so that the molecule
stays legible. `degrade` returns the damaged picture and the `Affine` map that moved its
points, so atom positions stay true (`degrade_depiction` applies it). Only the canvas, text and
tilt steps move points; the stroke step's even-sized filters shift ink by half a pixel at most,
and the low-resolution scan by a third of a pixel.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, fields, replace

import numpy as np

from attnkit.data.drawing.affine import Affine, bounding_canvas, warp
from attnkit.data.drawing.clutter import ink_box, page_mark, stray_text
from attnkit.data.drawing.depiction import Depiction
from attnkit.data.drawing.ink import paper_threshold
from attnkit.errors import AttnkitError


@dataclass(frozen=True)
class Degradation:
    """Each `*_probability` is the chance of one step; the pairs are (low, high) ranges drawn
    uniformly. `canvas_scale`: the canvas's width and height over the picture's (each drawn);
    `max_rotation` degrees; `max_shear` (x moves by shear x y); `stroke_pixels` the largest
    erosion or dilation; `text_gap` bond lengths between the drawing and stray text;
    `resolution` the scale of the low-resolution scan; `blur_sigma` pixels; `noise_sigma` gray
    levels; `salt_pepper_fraction` of the pixels; `jpeg_quality` Pillow's 0-95 scale;
    `threshold` where a binarised pixel turns black, as the fraction of the way from the
    strokes' gray to the paper's (a fixed gray level would erase a faint drawing)."""

    canvas_probability: float = 0.3
    canvas_scale: tuple[float, float] = (1.05, 2.0)
    text_probability: float = 0.25
    text_gap: tuple[float, float] = (0.3, 4.0)
    mark_probability: float = 0.1
    rotation_probability: float = 0.3
    max_rotation: float = 3.0
    max_shear: float = 0.04
    stroke_probability: float = 0.3
    stroke_pixels: int = 2
    resolution_probability: float = 0.2
    resolution: tuple[float, float] = (0.35, 0.8)
    blur_probability: float = 0.3
    blur_sigma: tuple[float, float] = (0.3, 1.2)
    noise_probability: float = 0.2
    noise_sigma: tuple[float, float] = (3.0, 20.0)
    salt_pepper_probability: float = 0.1
    salt_pepper_fraction: tuple[float, float] = (0.0002, 0.003)
    jpeg_probability: float = 0.2
    jpeg_quality: tuple[int, int] = (10, 60)
    binarise_probability: float = 0.25
    threshold: tuple[float, float] = (0.2, 0.7)

    def __post_init__(self) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            if field.name.endswith("_probability") and not 0 <= value <= 1:
                raise ValueError(f"{field.name} must be in [0, 1], got {value}")
            if isinstance(value, tuple) and (len(value) != 2 or not 0 <= value[0] <= value[1]):
                raise ValueError(f"{field.name} must be (low, high) with 0 <= low <= high, "
                                 f"got {value}")
        if self.canvas_scale[0] < 1 or not 0 < self.resolution[0] <= self.resolution[1] <= 1:
            raise ValueError("canvas_scale must be >= 1 and resolution within (0, 1]")
        if not 1 <= self.jpeg_quality[1] <= 95 or self.threshold[1] > 1:
            raise ValueError("jpeg_quality must be within [1, 95] and threshold within [0, 1]")
        if self.stroke_pixels < 1 or self.max_rotation < 0 or self.max_shear < 0:
            raise ValueError("stroke_pixels must be >= 1, max_rotation and max_shear >= 0")

    @classmethod
    def geometric_only(cls) -> Degradation:
        """Canvas, rotation and shear always, nothing else: the steps that move points."""
        off = {field.name: 0.0 for field in fields(cls) if field.name.endswith("_probability")}
        return replace(cls(**off), canvas_probability=1.0, rotation_probability=1.0)


def degrade(image: np.ndarray, rng: np.random.Generator, config: Degradation = Degradation(),
            bond_length: float | None = None) -> tuple[np.ndarray, Affine]:
    """image (H, W) uint8, dark on white -> the damaged image (H', W') uint8 and the map that
    moved its points (positions in the input -> positions in the output). `bond_length`
    (pixels; None guesses a fifth of the ink's larger side) sizes the stray text and bounds the
    damage: the blur stays under a twentieth of a bond and the low-resolution scan keeps 10
    pixels a bond, so the molecule stays legible."""
    if image.dtype != np.uint8 or image.ndim != 2 or min(image.shape) < 2:
        raise AttnkitError(f"degrade takes a (H, W) uint8 image, got {image.dtype} "
                           f"{image.shape}")
    if not bond_length:
        left, top, right, bottom = ink_box(image)
        bond_length = max(right - left, bottom - top, 10) / 5
    image, moved = laid_out(image, rng, config, bond_length)
    return scanned(image, rng, config, bond_length), moved


def laid_out(image: np.ndarray, rng: np.random.Generator, config: Degradation,
             bond_length: float) -> tuple[np.ndarray, Affine]:
    """The steps that move points: a wider canvas, stray text, a page mark, a tilt."""
    moved = Affine.identity()
    if rng.random() < config.canvas_probability:
        image, step = wider_canvas(image, rng, config.canvas_scale)
        moved = moved.then(step)
    if rng.random() < config.text_probability:
        image, step = stray_text(image, rng, bond_length, config.text_gap)
        moved = moved.then(step)
    if rng.random() < config.mark_probability:
        image = page_mark(image, rng)
    if rng.random() < config.rotation_probability:
        image, step = tilted(image, rng, config.max_rotation, config.max_shear)
        moved = moved.then(step)
    return image, moved


def scanned(image: np.ndarray, rng: np.random.Generator, config: Degradation,
            bond_length: float) -> np.ndarray:
    """The steps that damage pixels in place: strokes, resolution, blur, noise, JPEG, 1 bit."""
    if rng.random() < config.stroke_probability:
        # more than a pixel on the strokes of a small drawing fills its letters
        pixels = int(rng.integers(1, config.stroke_pixels + 1)) if bond_length >= 60 else 1
        image = restroked(image, pixels, thicker=bool(rng.random() < 0.5))
    if rng.random() < config.resolution_probability:
        low = max(config.resolution[0], min(1.0, 10 / bond_length))
        image = rescanned(image, float(rng.uniform(low, max(low, config.resolution[1]))))
    if rng.random() < config.blur_probability:
        high = max(config.blur_sigma[0], min(config.blur_sigma[1], bond_length / 20))
        image = blurred(image, float(rng.uniform(config.blur_sigma[0], high)))
    if rng.random() < config.noise_probability:
        noise = rng.normal(0, rng.uniform(*config.noise_sigma), image.shape)
        image = np.clip(image + noise, 0, 255).astype(np.uint8)
    if rng.random() < config.salt_pepper_probability:
        image = salt_and_pepper(image, rng, float(rng.uniform(*config.salt_pepper_fraction)))
    if rng.random() < config.jpeg_probability:
        image = jpeg_encoded(image, int(rng.integers(config.jpeg_quality[0],
                                                     config.jpeg_quality[1] + 1)))
    if rng.random() < config.binarise_probability:
        image = binarised(image, float(rng.uniform(*config.threshold)))
    return image


def degrade_depiction(depiction: Depiction, rng: np.random.Generator,
                      config: Degradation = Degradation()) -> Depiction:
    """`degrade` applied to a depiction's image, its atoms moved with it (their spacing gives
    the bond length that sizes stray text)."""
    bond_length = None if depiction.atoms is None else atom_spacing(depiction.atoms)
    image, moved = degrade(depiction.image, rng, config, bond_length)
    atoms = None if depiction.atoms is None else moved(depiction.atoms).astype(np.float32)
    return Depiction(image, atoms)


def atom_spacing(atoms: np.ndarray) -> float | None:
    """atoms (N, 2) -> the median distance from an atom to its nearest other drawn atom (about
    a bond length); None for fewer than two distinct positions."""
    distances = np.linalg.norm(atoms[:, None] - atoms[None], axis=-1)
    distances[distances < 1e-3] = np.inf  # itself, and atoms drawn as one label
    nearest = distances.min(axis=1)
    nearest = nearest[np.isfinite(nearest)]
    return float(np.median(nearest)) if len(nearest) else None


def wider_canvas(image: np.ndarray, rng: np.random.Generator,
                 scale: tuple[float, float]) -> tuple[np.ndarray, Affine]:
    """The picture on a white canvas up to `scale` times wider and taller, at a random place."""
    H, W = image.shape
    height, width = round(H * rng.uniform(*scale)), round(W * rng.uniform(*scale))
    top, left = int(rng.integers(0, height - H + 1)), int(rng.integers(0, width - W + 1))
    canvas = np.full((height, width), 255, dtype=np.uint8)
    canvas[top: top + H, left: left + W] = image
    return canvas, Affine.translation(left, top)


def tilted(image: np.ndarray, rng: np.random.Generator, max_rotation: float,
           max_shear: float) -> tuple[np.ndarray, Affine]:
    """A small rotation and shear about the centre, on a canvas that holds all of the picture."""
    H, W = image.shape
    angle = np.radians(rng.uniform(-max_rotation, max_rotation))
    shear = rng.uniform(-max_shear, max_shear)
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    linear = rotation @ np.array([[1.0, shear], [0.0, 1.0]])
    moved, width, height = bounding_canvas(Affine.linear(linear, (W / 2, H / 2)), W, H)
    return warp(image, moved, width, height), moved


def restroked(image: np.ndarray, pixels: int, thicker: bool) -> np.ndarray:
    """Strokes `pixels` wider (a minimum filter) or narrower (a maximum filter); thinning is
    skipped where it would leave less than 70 % of the dark pixels (thin lines would break)."""
    try:
        from scipy import ndimage
    except ImportError:
        raise AttnkitError("degrading drawings needs SciPy: pip install attnkit[chem]") from None
    size = pixels + 1
    if thicker:
        return ndimage.grey_erosion(image, size=(size, size))
    thinned = ndimage.grey_dilation(image, size=(size, size))
    return thinned if (thinned < 128).sum() >= 0.7 * (image < 128).sum() else image


def binarised(image: np.ndarray, fraction: float) -> np.ndarray:
    """0 where a pixel is darker than `fraction` of the way from the strokes' gray to the
    paper's (the median pixel), else 255. The strokes' gray is the third quartile of the ink:
    thin anti-aliased lines are lighter than bold letters, and must not vanish."""
    paper = float(np.median(image))
    ink = image[image < paper_threshold(image)]
    stroke = float(np.percentile(ink, 75)) if ink.size else 0.0
    # never so close to the paper that its noise turns black
    threshold = min(stroke + fraction * (paper - stroke), paper_threshold(image))
    return np.where(image < threshold, 0, 255).astype(np.uint8)


def rescanned(image: np.ndarray, scale: float) -> np.ndarray:
    """Scaled down by `scale` (area average) and back up to its size (bilinear): a low-
    resolution scan. Points stay where they are."""
    from PIL import Image

    H, W = image.shape
    small = Image.fromarray(image).resize((max(1, round(W * scale)), max(1, round(H * scale))),
                                          Image.Resampling.BOX)
    return np.asarray(small.resize((W, H), Image.Resampling.BILINEAR))


def blurred(image: np.ndarray, sigma: float) -> np.ndarray:
    from PIL import Image, ImageFilter

    return np.asarray(Image.fromarray(image).filter(ImageFilter.GaussianBlur(sigma)))


def salt_and_pepper(image: np.ndarray, rng: np.random.Generator, fraction: float) -> np.ndarray:
    noisy = image.copy()
    hit = rng.random(image.shape) < fraction
    noisy[hit] = np.where(rng.random(int(hit.sum())) < 0.5, 0, 255)
    return noisy


def jpeg_encoded(image: np.ndarray, quality: int) -> np.ndarray:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="JPEG", quality=quality)
    buffer.seek(0)
    return np.asarray(Image.open(buffer).convert("L"))
