"""One molecule drawn for training or validation in the style of a chosen toolkit: drawn,
sometimes degraded like a scanned page, cropped to its ink and fitted to the model's square
canvas, with its target SMILES and where each atom of that SMILES was drawn.

The target follows the picture: atoms in spatial order (left to right as drawn, `SPATIAL`)
when the renderer says where it drew them, else RDKit's canonical order; aromatic rings in
Kekulé form when they are drawn with double bonds, as aromatic atoms (`c1ccccc1`) when drawn as
circles or dashed rings. Every form reads back as the same molecule, so a reading is scored by
its canonical SMILES whatever form it takes.

The same crop and fit is what a reader does to a user's image (`images.read_image` with
`crop`), so training sees what reading sees: the molecule, not the canvas.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from attnkit.data.chem import parse_molecule, write_smiles
from attnkit.data.drawing.canvas import fitted
from attnkit.data.drawing.degrade import Degradation, degrade_depiction
from attnkit.data.drawing.depiction import Depiction
from attnkit.data.drawing.ink import crop_to_ink
from attnkit.data.molecule_render import SPATIAL_DIRECTION, MoleculeDrawing
from attnkit.errors import AttnkitError

RENDERERS = ("rdkit", "indigo", "cdk", "openbabel")


@dataclass(frozen=True)
class Drawn:
    """A renderer's picture and whether it drew aromatic rings as rings (circles, dashes)."""

    depiction: Depiction
    aromatic_rings: bool


def draw_rdkit(smiles: str, rng: np.random.Generator) -> Drawn:
    from attnkit.data.drawing.rdkit_style import draw_rdkit as draw
    from attnkit.data.drawing.rdkit_style import sample_rdkit_style

    style = sample_rdkit_style(rng)
    return Drawn(draw(parse_molecule(smiles), style), style.aromatic != "kekule")


def draw_indigo(smiles: str, rng: np.random.Generator) -> Drawn:
    from attnkit.data.drawing.indigo import random_indigo_style, render_indigo

    style = random_indigo_style(rng, 40.0)
    return Drawn(render_indigo(smiles, style, None), style.aromatic_circles)


def draw_cdk(smiles: str, rng: np.random.Generator) -> Drawn:
    from attnkit.data.drawing.cdk import render_cdk
    from attnkit.data.drawing.cdk_style import random_cdk_style

    style = random_cdk_style(rng, 40.0)
    return Drawn(render_cdk(smiles, style, None), style.aromatic != "kekule")


def draw_openbabel(smiles: str, rng: np.random.Generator) -> Drawn:
    from attnkit.data.drawing.openbabel import draw_openbabel as draw

    return Drawn(draw(smiles, rng, None), False)


DRAW: dict[str, Callable[[str, np.random.Generator], Drawn]] = {
    "rdkit": draw_rdkit, "indigo": draw_indigo, "cdk": draw_cdk, "openbabel": draw_openbabel}


def draw_styled(smiles: str, renderer: str, seed: int, image_size: int,
                degrade_fraction: float = 0.5, spatial: bool = True) -> MoleculeDrawing:
    """`smiles` drawn by `renderer` in a style drawn from `seed`, degraded with chance
    `degrade_fraction`, cropped to its ink and fitted to `image_size` px. A renderer that
    cannot draw the molecule hands it to RDKit (same seed), which draws every molecule it
    parses; a SMILES RDKit cannot parse is an AttnkitError."""
    molecule = parse_molecule(smiles)
    if molecule is None:
        raise AttnkitError(f"RDKit cannot parse the SMILES {smiles!r}")
    rng = np.random.default_rng(seed)
    try:
        drawn = DRAW[renderer](smiles, rng)
    except Exception:  # noqa: BLE001 - each toolkit fails its own way (IndigoException, Java's)
        if renderer == "rdkit":
            raise
        drawn = draw_rdkit(smiles, np.random.default_rng(seed))
    depiction = drawn.depiction
    if rng.random() < degrade_fraction:
        depiction = degrade_depiction(depiction, rng, Degradation())
    depiction = fitted_to_ink(depiction, image_size)
    return drawing_of(molecule, depiction, drawn.aromatic_rings, spatial)


def fitted_to_ink(depiction: Depiction, image_size: int) -> Depiction:
    """The depiction cropped to its ink (`ink.crop_to_ink`; the whole picture where the crop
    would cut an atom off) and fitted to `image_size` x `image_size`."""
    image, atoms = depiction.image, depiction.atoms
    cropped, (left, top, right, bottom) = crop_to_ink(image)
    if atoms is None or np.all((atoms >= [left - 2, top - 2]) & (atoms <= [right + 2, bottom + 2])):
        image = cropped
        atoms = None if atoms is None else atoms - np.array([left, top], dtype=np.float32)
    return fitted(np.ascontiguousarray(image), atoms, image_size)


def drawing_of(molecule: Any, depiction: Depiction, aromatic_rings: bool,
               spatial: bool) -> MoleculeDrawing:
    """The picture with its target SMILES and, where known, the atoms' positions in the
    target's order (NaN rows where unknown)."""
    atoms = depiction.atoms
    known = atoms is not None and len(atoms) == molecule.GetNumAtoms()
    ranks = None
    if spatial and known:
        ranks = np.argsort(np.argsort(atoms @ SPATIAL_DIRECTION, kind="stable"))
    target, order = write_smiles(molecule, ranks, kekule=not aromatic_rings)
    positions = atoms[order] if known else np.full((len(order), 2), np.nan, np.float32)
    return MoleculeDrawing(depiction.image, target, positions.astype(np.float32))


@dataclass(frozen=True)
class StyleMix:
    """Which toolkits draw a split's molecules, and how often: `renderers` with their
    `weights` (each molecule gets one, drawn from the seed); `degrade_fraction` of the drawings
    are degraded like scanned pages (`degrade.Degradation`)."""

    renderers: tuple[str, ...] = ("rdkit", "indigo")
    weights: tuple[float, ...] = (0.5, 0.5)
    degrade_fraction: float = 0.5

    def __post_init__(self) -> None:
        unknown = sorted(set(self.renderers) - set(RENDERERS))
        if unknown or not self.renderers:
            raise ValueError(f"renderers must be among {', '.join(RENDERERS)}, got {unknown}")
        if len(self.weights) != len(self.renderers) or min(self.weights) < 0 or \
                sum(self.weights) <= 0:
            raise ValueError("weights: one non-negative weight per renderer, not all 0")
        if not 0 <= self.degrade_fraction <= 1:
            raise ValueError("degrade_fraction must be in [0, 1]")

    def renderer_of(self, count: int, seed: int) -> list[str]:
        """The renderer of each of `count` molecules, fixed by `seed`."""
        shares = np.asarray(self.weights, dtype=np.float64) / sum(self.weights)
        chosen = np.random.default_rng([seed, 2]).choice(len(shares), size=count, p=shares)
        return [self.renderers[i] for i in chosen]


def styled_task(job: tuple[str, str, int, int, float, bool]) -> MoleculeDrawing:
    """`draw_styled(*job)`, for a pool of worker processes."""
    return draw_styled(*job)


def styled_cache(smiles: list[str], mix: StyleMix, image_size: int, cache_dir: Any,
                 seed: int, spatial: bool = True, workers: int = 2,
                 label: str = "draw") -> Any:
    """Every molecule drawn as `mix` says (molecule i with seed `seed * 1_000_003 + i`) into
    the render cache (`molecule_render.drawn_into_cache`), or read from it when there: a
    `RenderedMolecules`."""
    import hashlib
    import json
    from dataclasses import asdict

    from attnkit.data.molecule_render import cache_paths, drawn_into_cache, read_cache

    digest = hashlib.sha256(json.dumps(["styled", asdict(mix), image_size, seed,
                                        spatial]).encode())
    for text in smiles:
        digest.update(text.encode() + b"\n")
    paths = cache_paths(cache_dir, digest.hexdigest()[:20])
    cached = read_cache(paths, len(smiles), image_size)
    if cached is not None:
        return cached
    renderers = mix.renderer_of(len(smiles), seed)
    jobs = [(text, renderer, seed * 1_000_003 + i, image_size, mix.degrade_fraction, spatial)
            for i, (text, renderer) in enumerate(zip(smiles, renderers, strict=True))]
    return drawn_into_cache(jobs, styled_task, image_size, paths, workers, label)
