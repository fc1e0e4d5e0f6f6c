"""Metrics of generated sequences against references: exact match and character accuracy."""

from __future__ import annotations

from collections.abc import Sequence

from attnkit.errors import AttnkitError


def exact_match(predictions: Sequence[str], references: Sequence[str]) -> float:
    """The fraction of predictions equal to their reference as a whole."""
    check_pairs(predictions, references)
    return sum(p == r for p, r in zip(predictions, references, strict=True)) / len(references)


def character_accuracy(predictions: Sequence[str], references: Sequence[str]) -> float:
    """Position-wise correct characters over all positions, where a pair has
    max(len(prediction), len(reference)) positions: a missing or extra character is an error."""
    check_pairs(predictions, references)
    correct = total = 0
    for prediction, reference in zip(predictions, references, strict=True):
        correct += sum(p == r for p, r in zip(prediction, reference, strict=False))
        total += max(len(prediction), len(reference))
    return correct / total if total else 1.0


def check_pairs(predictions: Sequence[str], references: Sequence[str]) -> None:
    if len(predictions) != len(references):
        raise AttnkitError(f"{len(predictions)} predictions for {len(references)} references")
    if not references:
        raise AttnkitError("no references to score against")
