"""Which split a molecule belongs to, decided by its text alone: the same molecule lands in the
same split on every machine, for every seed and for every sample size.

The SHA-256 of the UTF-8 text, read as a number in [0, 1): the last `test_fraction` of that
range is "test", the `val_fraction` before it "val", the rest "train".
"""

from __future__ import annotations

import hashlib
from typing import Literal

Split = Literal["train", "val", "test"]
HIV_VAL_FRACTION = 0.05
HIV_TEST_FRACTION = 0.10


def hash_split(text: str, val_fraction: float, test_fraction: float) -> Split:
    if not (0 <= val_fraction and 0 <= test_fraction and val_fraction + test_fraction <= 1):
        raise ValueError(f"split fractions must be >= 0 and sum to <= 1, got "
                         f"val {val_fraction}, test {test_fraction}")
    position = int.from_bytes(hashlib.sha256(text.encode()).digest(), "big") / 2 ** 256
    if position >= 1 - test_fraction:
        return "test"
    if position >= 1 - test_fraction - val_fraction:
        return "val"
    return "train"


def hiv_split(canonical: str) -> Split:
    """The split of an HIV molecule, given its RDKit canonical SMILES: 85 % train, 5 % val,
    10 % test."""
    return hash_split(canonical, HIV_VAL_FRACTION, HIV_TEST_FRACTION)
