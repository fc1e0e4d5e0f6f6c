"""The part of an SD file (MDL V2000 records) a toolkit's 2-D layout is read from: each record's
title, element symbols, coordinates and bonds."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from attnkit.errors import AttnkitError


@dataclass(frozen=True)
class MolRecord:
    """One molecule of an SD file: coordinates (N, 2) x, y as written (y up); bonds (M, 2)
    0-based atom index pairs."""

    title: str
    symbols: list[str]
    coordinates: np.ndarray
    bonds: np.ndarray

    def mean_bond_length(self) -> float:
        """Mean bond length of the layout; 1 for a molecule without bonds."""
        if len(self.bonds) == 0:
            return 1.0
        ends = self.coordinates[self.bonds]
        return float(np.linalg.norm(ends[:, 0] - ends[:, 1], axis=1).mean())


def read_sd_records(text: str) -> list[MolRecord]:
    """Every V2000 record of an SD file's text, in order (a V3000 record, written for very
    large molecules, is left out)."""
    records = []
    for block in text.split("$$$$"):
        lines = block.strip("\n").split("\n")
        if len(lines) < 4 or "V2000" not in lines[3]:
            continue
        records.append(read_record(lines))
    return records


def read_record(lines: list[str]) -> MolRecord:
    try:
        atoms, bonds = int(lines[3][0:3]), int(lines[3][3:6])
        atom_lines = lines[4: 4 + atoms]
        bond_lines = lines[4 + atoms: 4 + atoms + bonds]
        coordinates = np.array([[float(line[0:10]), float(line[10:20])]
                                for line in atom_lines], dtype=np.float64).reshape(-1, 2)
        symbols = [line[31:34].strip() for line in atom_lines]
        pairs = np.array([[int(line[0:3]) - 1, int(line[3:6]) - 1] for line in bond_lines],
                         dtype=int).reshape(-1, 2)
    except (ValueError, IndexError) as error:
        raise AttnkitError(f"unreadable SD record {lines[0]!r}: {error}") from None
    if len(symbols) != atoms or len(pairs) != bonds:
        raise AttnkitError(f"SD record {lines[0]!r} is cut short")
    return MolRecord(lines[0].strip(), symbols, coordinates, pairs)
