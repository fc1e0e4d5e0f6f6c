"""Training and validation molecules beyond MOSES, as canonical SMILES: a seeded mix of MOSES,
HIV and RDKit variants of MOSES molecules (stereo, charged, salts, elements, small, large).

Which molecules a mix may hold is decided by the molecule, never by the seed or the counts:
every molecule has a role, `molecule_splits.hiv_split` of its canonical SMILES (85 % train,
5 % val, 10 % test; for HIV molecules that is the HIV split). A training mix holds only
"train" molecules, made from MOSES training-file molecules whose own role is "train"; a
validation mix holds only molecules outside "train" (HIV: "val" only), made from MOSES
training-file molecules whose role is "val". So no training mix, whatever its seed, shares a
molecule with any validation mix, nor with the HIV test split; the MOSES test files are read
only to leave their molecules out of every mix (a fragment may happen to be one).
Every molecule passes `molecule_checks.target_canonical` (it reads back as itself, and its
Kekulé SMILES in random atom orders reads back as the same molecule), and appears once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from attnkit.data.chem import require_rdkit
from attnkit.data.hiv import read_hiv_file, usable_hiv
from attnkit.data.molecule_checks import target_canonical
from attnkit.data.molecule_sizes import fragment_variant, joined_variant
from attnkit.data.molecule_splits import hiv_split
from attnkit.data.molecule_variants import (
    charged_variant,
    element_variant,
    salt_variant,
    stereo_variant,
)
from attnkit.data.moses import MOSES_FILES, load_moses, moses_path
from attnkit.errors import AttnkitError
from attnkit.progress import progress_bar

Variant = Callable[[Any, np.random.Generator], Any | None]
VARIANTS: dict[str, Variant] = {"stereo": stereo_variant, "charged": charged_variant,
                                "salts": salt_variant, "elements": element_variant,
                                "small": fragment_variant}
SOURCES = ("moses", "hiv", *VARIANTS, "large")
MixSplit = Literal["train", "val"]


@dataclass(frozen=True)
class MoleculeMix:
    """smiles: the mix's canonical SMILES, shuffled; sources: the source of each (parallel to
    smiles); rejected: per source and reason, the candidates left out (`source:reason`)."""

    smiles: list[str]
    sources: list[str]
    rejected: dict[str, int]


def molecule_mix(data_dir: str | Path | None, counts: Mapping[str, int], seed: int = 0,
                 split: MixSplit = "train") -> list[str]:
    """`counts[source]` molecules of each source (`SOURCES`), shuffled; e.g.
    `molecule_mix(data, {"moses": 60000, "hiv": 20000, "stereo": 10000}, seed=0)`, and its
    validation mix `molecule_mix(data, {...smaller counts...}, seed=0, split="val")`."""
    return build_mix(data_dir, counts, seed, split).smiles


def build_mix(data_dir: str | Path | None, counts: Mapping[str, int], seed: int = 0,
              split: MixSplit = "train") -> MoleculeMix:
    """`molecule_mix` with the source of each molecule and what was left out."""
    unknown = sorted(set(counts) - set(SOURCES))
    if unknown or any(count < 0 for count in counts.values()):
        raise AttnkitError(f"molecule counts need sources among {', '.join(SOURCES)} and "
                           f"counts >= 0; got {dict(counts)}")
    if split not in ("train", "val"):
        raise AttnkitError(f"a molecule mix is for 'train' or 'val', not {split!r}")
    mix = MixBuilder(split, moses_test_molecules(data_dir))
    pool = moses_pool(data_dir, split) if any(counts.get(name, 0) for name in SOURCES
                                              if name != "hiv") else []
    for index, source in enumerate(SOURCES):
        count = counts.get(source, 0)
        rng = np.random.default_rng([seed, index])
        if count and source == "hiv":
            hiv_molecules(data_dir, count, rng, mix)
        elif count:
            made_molecules(source, pool, count, rng, mix)
    order = np.random.default_rng([seed, len(SOURCES)]).permutation(len(mix.chosen))
    smiles, sources = list(mix.chosen), list(mix.chosen.values())
    return MoleculeMix([smiles[i] for i in order], [sources[i] for i in order],
                       dict(mix.rejected))


class MixBuilder:
    """The molecules chosen so far (canonical SMILES -> source) and the reasons others were
    left out."""

    def __init__(self, split: MixSplit, excluded: set[str]) -> None:
        self.split, self.excluded = split, excluded
        self.chosen: dict[str, str] = {}
        self.rejected: Counter[str] = Counter()

    def admissible(self, canonical: str, source: str) -> bool:
        """Whether the mix may take this molecule: of the mix's roles, new, not MOSES test."""
        role = hiv_split(canonical)
        reason = ("duplicate" if canonical in self.chosen
                  else "moses_test" if canonical in self.excluded
                  else None if (role == "train") == (self.split == "train") else f"role_{role}")
        if reason is not None:
            self.reject(source, reason)
        return reason is None

    def reject(self, source: str, reason: str) -> None:
        self.rejected[f"{source}:{reason}"] += 1

    def add(self, canonical: str, source: str) -> None:
        self.chosen[canonical] = source


def moses_test_molecules(data_dir: str | Path | None) -> set[str]:
    """The SMILES of the MOSES test files that are present (they are canonical already)."""
    found: set[str] = set()
    for split in MOSES_FILES:
        if split == "train":
            continue
        try:
            moses_path(split, data_dir)
        except AttnkitError:
            continue
        found.update(load_moses(split, data_dir))
    return found


def moses_pool(data_dir: str | Path | None, split: MixSplit) -> list[str]:
    """The MOSES training-file molecules a mix of `split` may start from (their role is the
    split's)."""
    return [text for text in load_moses("train", data_dir) if hiv_split(text) == split]


def hiv_molecules(data_dir: str | Path | None, count: int, rng: np.random.Generator,
                  mix: MixBuilder) -> None:
    """`count` HIV molecules of the mix's split, drawn at random (checked as drawn)."""
    entries = read_hiv_file(data_dir)
    taken = 0
    for index in rng.permutation(len(entries)):
        canonical = usable_hiv(entries[index], mix.split, rng)
        if canonical is not None and mix.admissible(canonical, "hiv"):
            mix.add(canonical, "hiv")
            taken += 1
            if taken == count:
                return
    raise AttnkitError(f"the HIV {mix.split} split has {taken} usable molecules not already in "
                       f"the mix; {count} were asked for")


def made_molecules(source: str, pool: list[str], count: int, rng: np.random.Generator,
                   mix: MixBuilder) -> None:
    """`count` molecules of a MOSES-based source, made from the pool in a random order."""
    chem = require_rdkit()
    bases = parsed(pool, rng)
    taken = 0
    with progress_bar(total=count, desc=f"molecules: {source}") as bar:
        try:
            for base in bases:
                if source == "moses":
                    molecule = base
                elif source == "large":  # partners come from the same stream (StopIteration
                    molecule = joined_variant(base, lambda: next(bases), rng)  # at its end)
                else:
                    molecule = VARIANTS[source](base, rng)
                if molecule is None:
                    mix.reject(source, "no_site")
                    continue
                canonical = chem.MolToSmiles(molecule)
                if not mix.admissible(canonical, source):
                    continue
                if target_canonical(molecule, rng) != canonical:
                    mix.reject(source, "check")
                    continue
                mix.add(canonical, source)
                taken += 1
                bar.update(1)
                if taken == count:
                    return
        except StopIteration:
            pass
    raise AttnkitError(f"the {len(pool)} MOSES molecules of the pool gave only {taken} "
                       f"'{source}' molecules; {count} were asked for")


def parsed(pool: list[str], rng: np.random.Generator) -> Iterator[Any]:
    """The pool's molecules parsed, in a random order, each once."""
    chem = require_rdkit()
    for index in rng.permutation(len(pool)):
        molecule = chem.MolFromSmiles(pool[index])
        if molecule is not None:
            yield molecule
