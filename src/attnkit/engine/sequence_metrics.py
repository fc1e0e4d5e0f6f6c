"""Metrics of generated sequences against references: exact match, character accuracy and
edit (Levenshtein) distance."""

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


def levenshtein(first: Sequence, second: Sequence) -> int:
    """Edit distance (insertions, deletions, substitutions each cost 1)."""
    previous = list(range(len(second) + 1))
    for i, item in enumerate(first, start=1):
        current = [i]
        for j, other in enumerate(second, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1,
                               previous[j - 1] + (item != other)))
        previous = current
    return previous[-1]


def mean_levenshtein(predictions: Sequence[str], references: Sequence[str]) -> float:
    """The mean edit distance between predictions and their references (characters)."""
    check_pairs(predictions, references)
    distance = sum(levenshtein(p, r) for p, r in zip(predictions, references, strict=True))
    return distance / len(references)


def sequence_scores(predictions: Sequence[str], references: Sequence[str]) -> dict[str, float]:
    """exact_match and char_accuracy."""
    return {"exact_match": exact_match(predictions, references),
            "char_accuracy": character_accuracy(predictions, references)}


def text_scores(predictions: Sequence[str], references: Sequence[str]) -> dict[str, float]:
    """exact_match, char_accuracy and levenshtein (the mean edit distance)."""
    return {**sequence_scores(predictions, references),
            "levenshtein": mean_levenshtein(predictions, references)}


def check_pairs(predictions: Sequence[str], references: Sequence[str]) -> None:
    if len(predictions) != len(references):
        raise AttnkitError(f"{len(predictions)} predictions for {len(references)} references")
    if not references:
        raise AttnkitError("no references to score against")
