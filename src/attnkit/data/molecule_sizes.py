"""Molecules smaller and larger than MOSES (9-26 heavy atoms): fragments of one molecule and
two molecules joined, so that a model sees the sizes documents show.

- `fragment_variant`: cut one random acyclic single bond between heavy atoms and keep a piece
  of `SMALL_ATOMS` heavy atoms (3-12), each broken end capped with hydrogen;
- `joined_variant`: bond two molecules directly or through a common linker (amide, ether,
  amine, methylene, sulfonamide, urea, ethylene ether) at atoms that carry a hydrogen, the
  whole of `LARGE_ATOMS` heavy atoms (30-60).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from attnkit.data.chem import require_rdkit
from attnkit.data.molecule_variants import sanitized

SMALL_ATOMS = (3, 12)
LARGE_ATOMS = (30, 60)
# Linkers: the first and the last atom written bond to the two molecules ("" is a direct
# bond); either molecule may come first, so each linker is written one way round only
LINKERS = ("", "", "C(=O)N", "C(=O)NCC", "O", "N", "C", "S(=O)(=O)N", "NC(=O)N", "OCC")


def fragment_variant(molecule: Any, rng: np.random.Generator) -> Any | None:
    """A piece of `molecule` with `SMALL_ATOMS` heavy atoms, cut at one acyclic single bond
    (the first of a random order that leaves such a piece; a random side when both are)."""
    chem = require_rdkit()
    bonds = [bond.GetIdx() for bond in molecule.GetBonds()
             if not bond.IsInRing() and bond.GetBondType() == chem.BondType.SINGLE]
    low, high = SMALL_ATOMS
    for bond in rng.permutation(bonds):
        pieces = [piece for piece in cut(molecule, int(bond))
                  if low <= piece.GetNumHeavyAtoms() <= high]
        if pieces:
            return pieces[int(rng.integers(len(pieces)))]
    return None


def cut(molecule: Any, bond: int) -> list[Any]:
    """The two sanitised pieces of `molecule` without `bond`, its ends given a hydrogen each
    (bracket atoms such as `[nH]` keep their explicit count right)."""
    chem = require_rdkit()
    ends = molecule.GetBondWithIdx(bond).GetBeginAtomIdx(), \
        molecule.GetBondWithIdx(bond).GetEndAtomIdx()
    copy = chem.RWMol(molecule)
    chem.Kekulize(copy, clearAromaticFlags=True)
    copy.RemoveBond(*ends)
    for end in ends:
        atom = copy.GetAtomWithIdx(end)
        if atom.GetNoImplicit() or atom.GetIsAromatic():
            atom.SetNumExplicitHs(atom.GetNumExplicitHs() + 1)
    whole = sanitized(copy)
    if whole is None:
        return []
    return list(chem.GetMolFrags(whole, asMols=True, sanitizeFrags=True))


def joined_variant(first: Any, partners: Callable[[], Any], rng: np.random.Generator,
                   attempts: int = 30) -> Any | None:
    """`first` joined to a molecule from `partners()` at a random atom with a hydrogen of each,
    through a random linker. The size is aimed at a target drawn evenly from `LARGE_ATOMS`:
    partners (half the time a fragment of one) are drawn until the sum is within 4 atoms of it,
    else the closest sum within `LARGE_ATOMS` is taken (left alone, two MOSES molecules would
    pile up at 40-50 atoms)."""
    chem = require_rdkit()
    low, high = LARGE_ATOMS
    target = int(rng.integers(low, high + 1))
    best: tuple[int, Any, str] | None = None  # (distance to the target, partner, linker)
    for _ in range(attempts):
        second = partners()
        if rng.random() < 0.5:
            second = fragment_variant(second, rng) or second
        linker = str(rng.choice(LINKERS))
        linker_atoms = chem.MolFromSmiles(linker).GetNumHeavyAtoms() if linker else 0
        total = first.GetNumHeavyAtoms() + second.GetNumHeavyAtoms() + linker_atoms
        if low <= total <= high and (best is None or abs(total - target) < best[0]):
            best = (abs(total - target), second, linker)
            if best[0] <= 4:
                break
    return None if best is None else join(first, best[1], best[2], rng)


def join(first: Any, second: Any, linker: str, rng: np.random.Generator) -> Any | None:
    chem = require_rdkit()
    parts = [chem.Mol(first), chem.Mol(second)]
    if linker:
        parts.insert(1, chem.MolFromSmiles(linker))
    for part in parts:
        chem.Kekulize(part, clearAromaticFlags=True)
    # the atoms that bond: one with a hydrogen in each molecule, the linker's first and last
    ends = [[atom.GetIdx() for atom in part.GetAtoms() if atom.GetTotalNumHs() > 0]
            for part in parts]
    if not ends[0] or not ends[-1]:
        return None
    chosen = [int(rng.choice(ends[0]))]
    if linker:
        chosen += [0, parts[1].GetNumAtoms() - 1]
    chosen.append(int(rng.choice(ends[-1])))
    joined, offsets = parts[0], [0]
    for part in parts[1:]:
        offsets.append(joined.GetNumAtoms())
        joined = chem.CombineMols(joined, part)
    editable = chem.RWMol(joined)
    part_of = [0, 1, 1, 2] if linker else [0, 1]
    atoms = [offsets[part] + index for part, index in zip(part_of, chosen, strict=True)]
    for begin, end in zip(atoms[::2], atoms[1::2], strict=True):
        editable.AddBond(begin, end, chem.BondType.SINGLE)
    for index in atoms:
        atom = editable.GetAtomWithIdx(index)
        if atom.GetNumExplicitHs() > 0:
            atom.SetNumExplicitHs(atom.GetNumExplicitHs() - 1)
    return sanitized(editable)
