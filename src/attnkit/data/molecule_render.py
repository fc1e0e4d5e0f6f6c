"""2-D depictions of molecules (drawn by RDKit, `chem.draw_molecule`), with seeded augmentation,
and a disk cache of them.

Images are grayscale uint8 (S, S), black drawing on white, atoms in the black-and-white palette
(the model reads shapes and letters, not RDKit's colours, so user scans look the same).
Augmentation draws rotation, bond width, font size and a small shift from a NumPy generator, so
one (molecule, seed) always gives the same picture.

Rendering is the slow part of this pipeline (about 190 images/s per core at 128 px on the
development machine, 100/s at 224 px), slower than training reads them; so training renders each
molecule once into a cache (`render_cache`, a .npy memmap keyed by the molecules, the render
settings and the seed), with a progress bar and worker processes, and every later epoch and run
reads it for free.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from multiprocessing import get_context
from pathlib import Path

import numpy as np

from attnkit.data.chem import draw_molecule, parse_molecule
from attnkit.errors import AttnkitError
from attnkit.files import write_atomically


@dataclass(frozen=True)
class RenderConfig:
    """`font_size` is RDKit's smallest label size in pixels (its default, 6, leaves 'N' and
    'O' a few unreadable pixels at 128 px). `augment_fraction` of training images get random
    rotation (up to `max_rotation` degrees), bond width, label size and a shift of up to
    `max_shift` pixels; the rest (and every validation/test image) are drawn plainly."""

    image_size: int = 128
    augment_fraction: float = 0.5
    max_rotation: float = 180.0
    bond_width_range: tuple[float, ...] = (1.0, 3.0)
    font_size: int = 11
    font_size_range: tuple[float, ...] = (9.0, 13.0)
    max_shift: int = 6
    padding: float = 0.05

    def __post_init__(self) -> None:
        if not 32 <= self.image_size <= 1024:
            raise ValueError(f"image_size must be in [32, 1024], got {self.image_size}")
        if not 0 <= self.augment_fraction <= 1:
            raise ValueError(f"augment_fraction must be in [0, 1], got {self.augment_fraction}")
        for name in ("bond_width_range", "font_size_range"):
            low_high = getattr(self, name)
            if len(low_high) != 2 or not 0 < low_high[0] <= low_high[1]:
                raise ValueError(f"{name} must be [low, high] with 0 < low <= high")


def render_smiles(smiles: str, config: RenderConfig, augment: bool = False,
                  seed: int = 0) -> np.ndarray:
    """SMILES -> uint8 image (S, S); unparsable SMILES raise AttnkitError."""
    molecule = parse_molecule(smiles)
    if molecule is None:
        raise AttnkitError(f"RDKit cannot parse the SMILES {smiles!r}")
    rotation = bond_width = None
    font_size, shift = config.font_size, (0, 0)
    if augment:
        rng = np.random.default_rng(seed)
        rotation = float(rng.uniform(-config.max_rotation, config.max_rotation))
        bond_width = max(1, round(rng.uniform(*config.bond_width_range)))
        font_size = round(rng.uniform(*config.font_size_range))
        shift = tuple(int(v) for v in rng.integers(-config.max_shift, config.max_shift + 1, 2))
    image = draw_molecule(molecule, config.image_size, config.padding, font_size, rotation,
                          bond_width)
    return shift_image(image, *shift)


def shift_image(image: np.ndarray, down: int, right: int) -> np.ndarray:
    """Move the drawing by (down, right) pixels, filling with white."""
    if down == 0 and right == 0:
        return image
    shifted = np.full_like(image, 255)
    H, W = image.shape
    shifted[max(down, 0): H + min(down, 0), max(right, 0): W + min(right, 0)] = \
        image[max(-down, 0): H - max(down, 0), max(-right, 0): W - max(right, 0)]
    return shifted


def augment_flags(count: int, fraction: float, seed: int) -> np.ndarray:
    """Which of `count` molecules are drawn with augmentation (bool (N,)), fixed by `seed`."""
    return np.random.default_rng(seed).random(count) < fraction


def render_task(job: tuple[str, dict, bool, int]) -> np.ndarray:
    smiles, config, augment, seed = job
    return render_smiles(smiles, RenderConfig(**config), augment, seed)


def cache_key(smiles: Sequence[str], config: RenderConfig, augment: bool, seed: int) -> str:
    digest = hashlib.sha256(json.dumps([asdict(config), augment, seed]).encode())
    for text in smiles:
        digest.update(text.encode() + b"\n")
    return digest.hexdigest()[:20]


def render_cache(smiles: Sequence[str], config: RenderConfig, cache_dir: Path,
                 augment: bool = False, seed: int = 0, workers: int = 2,
                 label: str = "render") -> np.ndarray:
    """All molecules as a read-only uint8 array (N, S, S), rendered once into `cache_dir`.

    With `augment`, molecule i is augmented when `augment_flags(...)[i]` and then drawn with
    seed `seed * 1_000_003 + i`; the file is written under a temporary name and renamed.
    """
    path = Path(cache_dir) / f"molecules-{cache_key(smiles, config, augment, seed)}.npy"
    if path.is_file():
        return np.load(path, mmap_mode="r")
    size, count = config.image_size, len(smiles)
    flags = augment_flags(count, config.augment_fraction, seed) if augment else \
        np.zeros(count, dtype=bool)
    jobs = ((text, asdict(config), bool(flags[i]), seed * 1_000_003 + i)
            for i, text in enumerate(smiles))

    def render_into(temporary: Path) -> None:
        images = np.lib.format.open_memmap(temporary, mode="w+", dtype=np.uint8,
                                           shape=(count, size, size))
        if workers > 1 and count >= 256:  # starting processes costs more for a few images
            with get_context("spawn").Pool(workers) as pool:
                fill(images, pool.imap(render_task, jobs, chunksize=64), label)
        else:
            fill(images, map(render_task, jobs), label)
        images.flush()
        del images

    write_atomically(path, render_into)
    return np.load(path, mmap_mode="r")


def fill(images: np.ndarray, results: Iterable[np.ndarray], label: str) -> None:
    from tqdm.auto import tqdm

    for i, image in enumerate(tqdm(results, total=len(images), desc=label, leave=False)):
        images[i] = image
