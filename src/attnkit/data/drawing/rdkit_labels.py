"""What RDKit writes instead of bare lines: abbreviated groups (CO2H, CF3, OMe, Ph, NO2) and
carbons drawn as letters (CH3, H3C, CH2), and where every atom of the original molecule ends up
when a whole group is drawn as one label.

Each atom carries its index in the original molecule as the property ORIGINAL_ATOM through
condensing and drawing, so the positions of the drawn atoms can be put back in the original
atom order.
"""

from __future__ import annotations

from collections import deque
from functools import lru_cache
from typing import Any

import numpy as np

ORIGINAL_ATOM = "attnkit_atom"
# Groups RDKit's default list lacks and documents abbreviate: label, SMARTS (the dummy is the
# rest of the molecule), label with the bond from the left, label with the bond from the right.
EXTRA_ABBREVIATIONS = """\
CO2Me *C(=O)O[CH3] CO<sub>2</sub>Me MeO<sub>2</sub>C
NMe2 *N([CH3])[CH3] NMe<sub>2</sub> Me<sub>2</sub>N
Ts *S(=O)(=O)c1[cH][cH]c([CH3])[cH][cH]1 Ts Ts
Bn *[CH2]c1[cH][cH][cH][cH][cH]1 Bn Bn
OPh *[OD2]c1[cH][cH][cH][cH][cH]1 OPh PhO
Ph *c1[cH][cH][cH][cH][cH]1 Ph Ph
SO2Me *S(=O)(=O)[CH3] SO<sub>2</sub>Me MeSO<sub>2</sub>
Boc *C(=O)OC([CH3])([CH3])[CH3] Boc Boc
Me *[CH3] Me Me"""
CARBON_LABELS = ("none", "methyl", "chain", "all")


@lru_cache(maxsize=1)
def abbreviation_definitions() -> dict[str, Any]:
    """label -> RDKit abbreviation definition: RDKit's default list, then EXTRA_ABBREVIATIONS
    (a label defined twice keeps the first)."""
    from rdkit.Chem import rdAbbreviations

    definitions: dict[str, Any] = {}
    for definition in [*rdAbbreviations.GetDefaultAbbreviations(),
                       *rdAbbreviations.ParseAbbreviations(EXTRA_ABBREVIATIONS)]:
        definitions.setdefault(definition.label, definition)
    return definitions


def abbreviation_labels() -> tuple[str, ...]:
    return tuple(abbreviation_definitions())


def numbered_copy(molecule: Any) -> Any:
    """A copy of `molecule` whose atoms know their index (ORIGINAL_ATOM)."""
    from rdkit import Chem

    copy = Chem.Mol(molecule)
    for atom in copy.GetAtoms():
        atom.SetIntProp(ORIGINAL_ATOM, atom.GetIdx())
    return copy


def condensed(molecule: Any, labels: tuple[str, ...], max_coverage: float = 0.4) -> Any:
    """`molecule` (numbered) with the groups named in `labels` drawn as one labelled atom each;
    at most `max_coverage` of its atoms disappear into labels. The labelled atom keeps the
    ORIGINAL_ATOM of the group's attachment atom; the other atoms of the group are gone."""
    from rdkit.Chem import rdAbbreviations

    definitions = abbreviation_definitions()
    chosen = [definitions[label] for label in labels if label in definitions]
    if not chosen:
        return molecule
    return rdAbbreviations.CondenseMolAbbreviations(molecule, chosen, maxCoverage=max_coverage)


def label_carbons(molecule: Any, mode: str) -> None:
    """Write carbons as letters, in place: `chain` labels every neutral carbon outside rings
    (CH3, CH2, CH, C), `all` every neutral carbon; RDKit picks the form read from the bond's
    side (CH3 when the bond comes from the left, H3C from the right). `methyl` and `none` leave
    the molecule alone (RDKit's explicitMethyl draws the methyls)."""
    if mode not in CARBON_LABELS:
        raise ValueError(f"carbon labels must be one of {', '.join(CARBON_LABELS)}")
    if mode in ("none", "methyl"):
        return
    for atom in molecule.GetAtoms():
        if atom.GetAtomicNum() != 6 or atom.GetFormalCharge() or atom.GetIsotope() or \
                atom.GetNumRadicalElectrons() or atom.HasProp("_displayLabel"):
            continue
        if mode == "chain" and atom.IsInRing():
            continue
        hydrogens = atom.GetTotalNumHs()
        count = f"<sub>{hydrogens}</sub>" if hydrogens > 1 else ""
        atom.SetProp("_displayLabel", f"CH{count}" if hydrogens else "C")
        atom.SetProp("_displayLabelW", f"H{count}C" if hydrogens else "C")


def original_positions(original: Any, drawn: Any, drawn_positions: np.ndarray) -> np.ndarray:
    """drawn_positions (D, 2): where each atom of `drawn` (the molecule as drawn: condensed,
    with added hydrogens) was drawn -> (N, 2) float32 for the N atoms of `original`, in its
    order. An atom that was condensed into a label gets the label's position: the label that
    took the place of the group it is connected to through other condensed atoms."""
    positions = np.full((original.GetNumAtoms(), 2), np.nan, dtype=np.float32)
    for atom in drawn.GetAtoms():
        if atom.HasProp(ORIGINAL_ATOM):
            positions[atom.GetIntProp(ORIGINAL_ATOM)] = drawn_positions[atom.GetIdx()]
    drawn_atoms = ~np.isnan(positions[:, 0])
    queue = deque(int(i) for i in np.flatnonzero(drawn_atoms))
    while queue:  # breadth first from the drawn atoms into the condensed groups
        index = queue.popleft()
        for neighbour in original.GetAtomWithIdx(index).GetNeighbors():
            other = neighbour.GetIdx()
            if np.isnan(positions[other, 0]):
                positions[other] = positions[index]
                queue.append(other)
    return positions
