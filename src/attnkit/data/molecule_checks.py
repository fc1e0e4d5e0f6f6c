"""Whether a molecule can be a training target: the checks every molecule source applies.

A target is written by the img2seq pipeline in a drawing's atom order and in Kekulé form
(`chem.write_smiles(molecule, ranks, kekule=True)`) and scored against the canonical SMILES;
a molecule whose canonical SMILES does not read back as itself, or whose renumbered Kekulé
SMILES reads back as another molecule (lost stereo, a changed charge), would teach the model
a target it can never get right.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from attnkit.data.chem import require_rdkit, write_smiles
from attnkit.data.molecule_render import SPATIAL_DIRECTION
from attnkit.data.smiles_tokenizer import SMILES_PATTERN

STEREO_ORDERS = 6


def reads_back(canonical: str) -> Any | None:
    """The molecule of `canonical` when that is its own canonical SMILES (and every character
    is a SMILES token), else None."""
    chem = require_rdkit()
    molecule = chem.MolFromSmiles(canonical)
    if molecule is None or chem.MolToSmiles(molecule) != canonical:
        return None
    if sum(map(len, SMILES_PATTERN.findall(canonical))) != len(canonical):
        return None
    return molecule


def writes_back(molecule: Any, ranks: np.ndarray | None = None) -> bool:
    """Whether the Kekulé SMILES written in the atom order `ranks` (one distinct rank per atom;
    None: canonical order) reads back as the same canonical SMILES."""
    chem = require_rdkit()
    try:
        written, _ = write_smiles(molecule, None if ranks is None else list(ranks), kekule=True)
    except (ValueError, RuntimeError):  # RDKit's KekulizeException is a ValueError
        return False
    again = chem.MolFromSmiles(written)
    return again is not None and chem.MolToSmiles(again) == chem.MolToSmiles(molecule)


def target_canonical(molecule: Any, rng: np.random.Generator) -> str | None:
    """The canonical SMILES of `molecule` when it passes both checks (the Kekulé writing in
    random atom orders drawn from `rng`: the pipeline's order comes from a drawing), else None.
    A molecule with stereo is written in `STEREO_ORDERS` orders: in a few cages of
    interdependent centres (`[C@]` and `[N@]` in one bicyclic system) RDKit loses the
    configuration in about one order in three, which one order alone would miss."""
    chem = require_rdkit()
    try:
        canonical = chem.MolToSmiles(molecule)
    except RuntimeError:
        return None
    again = reads_back(canonical)
    if again is None:
        return None
    orders = STEREO_ORDERS if set("@/\\") & set(canonical) else 1
    if not all(writes_back(again, rng.permutation(again.GetNumAtoms())) for _ in range(orders)):
        return None
    return canonical


def depiction_target(molecule: Any) -> str:
    """The Kekulé SMILES of `molecule` in the pipeline's "spatial" atom order, taken from
    RDKit's 2-D depiction coordinates (what a plain, unrotated RDKit drawing shows)."""
    chem = require_rdkit()
    from rdkit.Chem import rdDepictor

    molecule = chem.Mol(molecule)
    rdDepictor.Compute2DCoords(molecule)
    xy = molecule.GetConformer().GetPositions()[:, :2] * np.array([1.0, -1.0])  # y down
    ranks = np.argsort(np.argsort(xy @ SPATIAL_DIRECTION, kind="stable"))
    return write_smiles(molecule, [int(rank) for rank in ranks], kekule=True)[0]
