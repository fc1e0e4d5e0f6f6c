"""2-D depictions of molecules (drawn by RDKit, `chem.draw_molecule`), with seeded augmentation,
and a disk cache of them.

Images are grayscale uint8 (S, S), black drawing on white, atoms in the black-and-white palette
(the model reads shapes and letters, not RDKit's colours, so user scans look the same).
Augmentation draws rotation, bond width, font size and a small shift from a NumPy generator, so
one (molecule, seed) always gives the same picture. Each drawing comes with its target SMILES
(written in the recipe's atom order) and where each atom of that SMILES was drawn, which is what
supervised attention pulls the decoder towards.

Rendering is the slow part of this pipeline (about 190 images/s per core at 128 px on the
development machine, 100/s at 224 px), slower than training reads them; so training renders each
molecule once into a cache (`render_cache`: a .npy memmap of the images, the targets and the
atom positions, keyed by the molecules, the render settings and the seed), with a progress bar
and worker processes, and every later epoch and run reads it for free.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any, Literal

import numpy as np

from attnkit.data.chem import draw_molecule, parse_molecule, write_smiles
from attnkit.data.images import fit_on_white
from attnkit.errors import AttnkitError
from attnkit.files import write_atomically, write_text_atomically
from attnkit.progress import progress_bar

SMILES_ORDERS = ("canonical", "spatial")
# The spatial order ranks atoms along a direction 22.5 degrees below the x axis: RDKit draws
# bonds at multiples of 30 degrees, so two neighbours of an atom tie on this axis only when their
# bond directions are symmetric about it, which a plain depiction never has.
SPATIAL_DIRECTION = np.array([np.cos(np.pi / 8), np.sin(np.pi / 8)], dtype=np.float32)


@dataclass(frozen=True)
class RenderConfig:
    """`font_size` is RDKit's smallest label size in pixels (its default, 6, leaves 'N' and
    'O' a few unreadable pixels at 128 px). `augment_fraction` of training images get random
    rotation (up to `max_rotation` degrees), bond width, label size and a shift of up to
    `max_shift` pixels; the rest (and every validation/test image) are drawn plainly. With
    `max_upscale` > 1 an augmented image is drawn on a canvas up to that many times larger
    (log-uniform) and scaled down, as the pipeline scales a large user image: its labels and
    lines come out smaller and thinner than a drawing made at `image_size`. `upscale_plain` of
    the plain training images are drawn that way too (a large user drawing is seldom rotated).

    `smiles_order` is the order in which the target SMILES writes the atoms: `canonical`
    (RDKit's canonical SMILES) or `spatial` (start at the leftmost atom of the drawing, branch to
    the neighbour further left first: what comes next can be seen in the picture). With
    `kekule_smiles` the target writes aromatic rings with the double bonds the drawing shows
    (RDKit draws Kekulé structures), so aromaticity need not be inferred from a whole ring."""

    image_size: int = 128
    augment_fraction: float = 0.5
    max_rotation: float = 180.0
    bond_width_range: tuple[float, ...] = (1.0, 3.0)
    font_size: int = 11
    font_size_range: tuple[float, ...] = (9.0, 13.0)
    max_shift: int = 6
    padding: float = 0.05
    smiles_order: Literal["canonical", "spatial"] = "canonical"
    kekule_smiles: bool = False
    max_upscale: float = 1.0
    upscale_plain: float = 0.0

    def __post_init__(self) -> None:
        if not 32 <= self.image_size <= 1024:
            raise ValueError(f"image_size must be in [32, 1024], got {self.image_size}")
        if not 0 <= self.augment_fraction <= 1:
            raise ValueError(f"augment_fraction must be in [0, 1], got {self.augment_fraction}")
        for name in ("bond_width_range", "font_size_range"):
            low_high = getattr(self, name)
            if len(low_high) != 2 or not 0 < low_high[0] <= low_high[1]:
                raise ValueError(f"{name} must be [low, high] with 0 < low <= high")
        if not 1 <= self.max_upscale <= 8:
            raise ValueError(f"max_upscale must be in [1, 8], got {self.max_upscale}")
        if not 0 <= self.upscale_plain <= 1:
            raise ValueError(f"upscale_plain must be in [0, 1], got {self.upscale_plain}")
        if self.smiles_order not in SMILES_ORDERS:
            raise ValueError(f"smiles_order must be one of {', '.join(SMILES_ORDERS)}")


@dataclass(frozen=True)
class MoleculeDrawing:
    """image (S, S) uint8; smiles: the target, atoms written in the recipe's `smiles_order`;
    atoms (A, 2) float32: where atom k of that SMILES was drawn (x right, y down, pixels)."""

    image: np.ndarray
    smiles: str
    atoms: np.ndarray


def render_smiles(smiles: str, config: RenderConfig, augment: bool = False,
                  seed: int = 0, upscale: bool = False) -> MoleculeDrawing:
    """SMILES -> its drawing, target and atom positions; unparsable SMILES raise AttnkitError.
    An augmented drawing is always upscaled (when `max_upscale` > 1), a plain one with `upscale`.
    """
    molecule = parse_molecule(smiles)
    if molecule is None:
        raise AttnkitError(f"RDKit cannot parse the SMILES {smiles!r}")
    rotation = bond_width = None
    font_size, shift, canvas = config.font_size, (0, 0), config.image_size
    rng = np.random.default_rng(seed)
    if augment:
        rotation = float(rng.uniform(-config.max_rotation, config.max_rotation))
        bond_width = max(1, round(rng.uniform(*config.bond_width_range)))
        font_size = round(rng.uniform(*config.font_size_range))
        shift = tuple(int(v) for v in rng.integers(-config.max_shift, config.max_shift + 1, 2))
    if (augment or upscale) and config.max_upscale > 1:
        canvas = round(canvas * np.exp(rng.uniform(0, np.log(config.max_upscale))))
    image, positions = draw_molecule(molecule, canvas, config.padding, font_size, rotation,
                                     bond_width)
    if canvas != config.image_size:
        image = fit_on_white(image, config.image_size)
        positions = positions * (config.image_size / canvas)
    positions = positions + np.array([shift[1], shift[0]], dtype=np.float32)
    ranks = None
    if config.smiles_order == "spatial":
        ranks = np.argsort(np.argsort(positions @ SPATIAL_DIRECTION, kind="stable"))
    target, order = write_smiles(molecule, ranks, config.kekule_smiles)
    return MoleculeDrawing(shift_image(image, *shift), target, positions[order])


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


def upscale_flags(augmented: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    """Which plain (not `augmented`) molecules are drawn larger (bool (N,)), fixed by `seed`."""
    if fraction == 0:
        return np.zeros_like(augmented)
    return ~augmented & (np.random.default_rng([seed, 1]).random(len(augmented)) < fraction)


def render_task(job: tuple[str, dict, bool, int, bool]) -> MoleculeDrawing:
    smiles, config, augment, seed, upscale = job
    return render_smiles(smiles, RenderConfig(**config), augment, seed, upscale)


def cache_key(smiles: Sequence[str], config: RenderConfig, augment: bool, seed: int) -> str:
    digest = hashlib.sha256(json.dumps([asdict(config), augment, seed]).encode())
    for text in smiles:
        digest.update(text.encode() + b"\n")
    return digest.hexdigest()[:20]


@dataclass(frozen=True)
class RenderedMolecules:
    """images (N, S, S) uint8, read-only (memory-mapped); smiles: the N targets, each written in
    the config's `smiles_order`; atoms (N, M, 2) float32: row k of molecule i is where the k-th
    atom its SMILES writes was drawn (x, y in pixels), NaN past its atoms."""

    images: np.ndarray
    smiles: list[str]
    atoms: np.ndarray


def render_cache(smiles: Sequence[str], config: RenderConfig, cache_dir: Path,
                 augment: bool = False, seed: int = 0, workers: int = 2,
                 label: str = "render") -> RenderedMolecules:
    """All molecules drawn, rendered once into `cache_dir` and read back from there.

    With `augment`, molecule i is augmented when `augment_flags(...)[i]`, or drawn plainly but
    larger when `upscale_flags(...)[i]`, with seed `seed * 1_000_003 + i`. Three files share a
    name: `.npy` images, `.atoms.npy` and `.smiles.txt`; each is written under a temporary name
    and renamed, and a cache entry counts only when all three are there.
    """
    paths = cache_paths(cache_dir, cache_key(smiles, config, augment, seed))
    cached = read_cache(paths, len(smiles), config.image_size)
    if cached is not None:
        return cached
    flags = augment_flags(len(smiles), config.augment_fraction, seed) if augment else \
        np.zeros(len(smiles), dtype=bool)
    larger = upscale_flags(flags, config.upscale_plain, seed) if augment else flags
    jobs = [(text, asdict(config), bool(flags[i]), seed * 1_000_003 + i, bool(larger[i]))
            for i, text in enumerate(smiles)]
    return drawn_into_cache(jobs, render_task, config.image_size, paths, workers, label)


def cache_paths(cache_dir: Path, key: str) -> tuple[Path, Path, Path]:
    """The three files of a cache entry: images, atoms and SMILES."""
    stem = Path(cache_dir) / f"molecules-{key}"
    return (stem.with_suffix(".npy"), stem.with_suffix(".atoms.npy"),
            stem.with_suffix(".smiles.txt"))


def drawn_into_cache(jobs: list, task: Callable[[Any], MoleculeDrawing], size: int,
                     paths: Sequence[Path], workers: int, label: str) -> RenderedMolecules:
    """Draw `jobs` with `task` (a module-level function, so worker processes can run it) into
    the cache files `paths`, and read them back."""
    render_files(jobs, task, size, paths, workers, label)
    cached = read_cache(paths, len(jobs), size)
    if cached is None:
        raise AttnkitError(f"the render cache {paths[0]} cannot be read back after writing it")
    return cached


def read_cache(paths: Sequence[Path], count: int, size: int) -> RenderedMolecules | None:
    """The cache entry `paths` when all three files are there and agree on `count` molecules of
    `size` px; None when one is missing, and a warning too when one is damaged (truncated, not
    a .npy file, wrong shape), which is then drawn again."""
    if not all(path.is_file() for path in paths):
        return None
    try:
        images = np.load(paths[0], mmap_mode="r", allow_pickle=False)
        atoms = np.load(paths[1], allow_pickle=False)
        targets = paths[2].read_text(encoding="utf-8").split("\n")[:-1]
    except (OSError, ValueError, EOFError, UnicodeDecodeError) as error:
        problem = str(error).splitlines()[0] if str(error) else type(error).__name__
    else:
        if images.shape == (count, size, size) and images.dtype == np.uint8 and \
                atoms.ndim == 3 and len(atoms) == count and len(targets) == count:
            return RenderedMolecules(images, targets, atoms)
        problem = (f"{images.shape} images, {atoms.shape} atoms and {len(targets)} SMILES "
                   f"where {count} molecules of {size} px belong")
    print(f"warning: render cache {paths[0]} is damaged ({problem}): drawing it again",
          file=sys.stderr)
    return None


def render_files(jobs: list, task: Callable[[Any], MoleculeDrawing], size: int,
                 paths: Sequence[Path], workers: int, label: str) -> None:
    """Draw `jobs` with `task` into the cache files `paths` (images, atoms, smiles)."""
    targets: list[str] = []
    atoms: list[np.ndarray] = []

    def render_into(temporary: Path) -> None:
        images = np.lib.format.open_memmap(temporary, mode="w+", dtype=np.uint8,
                                           shape=(len(jobs), size, size))
        if workers > 1 and len(jobs) >= 256:  # starting processes costs more for a few images
            with get_context("spawn").Pool(workers) as pool:
                drawings = pool.imap(task, jobs, chunksize=64)
                fill(images, targets, atoms, drawings, label)
        else:
            fill(images, targets, atoms, map(task, jobs), label)
        images.flush()
        del images

    write_atomically(paths[0], render_into)
    padded = np.full((len(jobs), max(map(len, atoms), default=0), 2), np.nan, np.float32)
    for i, positions in enumerate(atoms):
        padded[i, : len(positions)] = positions
    write_atomically(paths[1], lambda temporary: np.save(temporary, padded))
    write_text_atomically(paths[2], "".join(text + "\n" for text in targets))


def fill(images: np.ndarray, targets: list[str], atoms: list[np.ndarray],
         drawings: Iterable[MoleculeDrawing], label: str) -> None:
    for i, drawing in enumerate(progress_bar(drawings, total=len(images), desc=label)):
        images[i] = drawing.image
        targets.append(drawing.smiles)
        atoms.append(drawing.atoms)
