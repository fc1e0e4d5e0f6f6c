"""The styles of CDK drawings: one frozen dataclass of CDK's depiction options, and a random
draw of them (see `drawing.cdk`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

FONTS = ("DejaVu Sans", "Liberation Sans", "Nimbus Sans", "DejaVu Serif", "Liberation Serif",
         "Nimbus Roman", "URW Gothic", "C059")
CARBONS = ("iupac", "terminal", "all")
AROMATIC = ("kekule", "donuts", "dashed")


@dataclass(frozen=True)
class CdkStyle:
    """CDK depiction options; `bond_length` in pixels (CDK scales its layout to it; its font
    size, in points, is scaled along with it from a 40 px bond), `ink` is the gray level of
    lines and black symbols (0 black),
    `rotation` in degrees counter-clockwise; `title` is written under the molecule."""

    font: str = "DejaVu Sans"
    bold: bool = False
    font_size: float = 13.0
    bond_length: float = 40.0
    stroke_ratio: float = 1.0
    bond_separation: float = 0.18
    wedge_ratio: float = 6.0
    hash_spacing: float = 5.0
    carbons: Literal["iupac", "terminal", "all"] = "iupac"
    aromatic: Literal["kekule", "donuts", "dashed"] = "kekule"
    atom_colors: bool = False
    ink: float = 0.0
    abbreviations: bool = False
    atom_numbers: bool = False
    title: str = ""
    rotation: float = 0.0

    def __post_init__(self) -> None:
        if self.carbons not in CARBONS:
            raise ValueError(f"carbons must be one of {', '.join(CARBONS)}")
        if self.aromatic not in AROMATIC:
            raise ValueError(f"aromatic must be one of {', '.join(AROMATIC)}")
        if not 6 <= self.font_size <= 40:
            raise ValueError(f"font_size must be in [6, 40] points, got {self.font_size}")
        if not 5 <= self.bond_length <= 400:
            raise ValueError(f"bond_length must be in [5, 400] pixels, got {self.bond_length}")
        if not 0 <= self.ink <= 0.6:
            raise ValueError(f"ink must be in [0, 0.6] (0 black), got {self.ink}")


def random_cdk_style(rng: np.random.Generator, bond_length: float) -> CdkStyle:
    """A style drawn from `rng` around a bond length in pixels (varied by 25 %)."""
    carbons = str(rng.choice(CARBONS, p=[0.5, 0.35, 0.15]))
    return CdkStyle(
        font=str(rng.choice(FONTS)),
        bold=bool(rng.random() < 0.2),
        font_size=float(rng.uniform(10, 18)),
        bond_length=float(bond_length * rng.uniform(0.8, 1.25)),
        stroke_ratio=float(np.exp(rng.uniform(np.log(0.6), np.log(2.2)))),
        bond_separation=float(rng.uniform(0.12, 0.3)),
        wedge_ratio=float(rng.uniform(4, 9)),
        hash_spacing=float(rng.uniform(3, 7)),
        carbons=carbons,
        aromatic=str(rng.choice(AROMATIC, p=[0.6, 0.3, 0.1])),
        atom_colors=bool(rng.random() < 0.3),
        ink=float(rng.choice([0.0, 0.0, rng.uniform(0.1, 0.35)])),
        abbreviations=bool(rng.random() < 0.3),
        # numbers beside every atom of a drawing that labels every carbon leave nothing legible
        atom_numbers=bool(rng.random() < 0.05) and carbons != "all",
        title=random_title(rng) if rng.random() < 0.15 else "",
        rotation=float(rng.uniform(-180, 180)) if rng.random() < 0.3 else 0.0)


def random_title(rng: np.random.Generator) -> str:
    """A compound label as documents print them under a drawing: (12), 3a, Compound 7."""
    number = int(rng.integers(1, 200))
    letter = str(rng.choice(["", "", "a", "b", "c"]))
    return str(rng.choice([f"({number})", f"{number}{letter}", f"Compound {number}{letter}",
                           f"Example {number}"]))
