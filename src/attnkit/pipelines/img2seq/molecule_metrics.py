"""Metrics of predicted SMILES against reference SMILES (RDKit through `attnkit.data.chem`).

- exact_match: canonical SMILES (RDKit) equal; an unparsable prediction never matches.
- validity: the fraction of predictions RDKit parses.
- tanimoto: mean Tanimoto similarity of Morgan fingerprints (radius 2, 2048 bits); an
  unparsable prediction scores 0.
- token_accuracy: position-wise equal SMILES tokens over max(len(prediction), len(reference))
  positions per pair, so missing and extra tokens count as errors.
- levenshtein: mean edit distance between the predicted and reference strings (characters).
"""

from __future__ import annotations

from collections.abc import Sequence

from attnkit.data.chem import parse_molecule, same_molecule, tanimoto_similarity
from attnkit.data.smiles_tokenizer import SMILES_PATTERN
from attnkit.engine.sequence_metrics import check_pairs, mean_levenshtein


def token_accuracy(predictions: Sequence[str], references: Sequence[str]) -> float:
    correct = total = 0
    for prediction, reference in zip(predictions, references, strict=True):
        predicted, expected = SMILES_PATTERN.findall(prediction), SMILES_PATTERN.findall(reference)
        correct += sum(p == r for p, r in zip(predicted, expected, strict=False))
        total += max(len(predicted), len(expected))
    return correct / total if total else 1.0


def molecule_scores(predictions: Sequence[str], references: Sequence[str]) -> dict[str, float]:
    """exact_match, validity, tanimoto, token_accuracy and levenshtein (see the module text)."""
    check_pairs(predictions, references)
    exact = valid = 0
    similarity = 0.0
    for prediction, reference in zip(predictions, references, strict=True):
        predicted, expected = parse_molecule(prediction), parse_molecule(reference)
        if predicted is None:
            continue
        valid += 1
        if expected is None:
            continue
        exact += same_molecule(predicted, expected)
        similarity += tanimoto_similarity(predicted, expected)
    count = len(references)
    return {"exact_match": exact / count, "validity": valid / count,
            "tanimoto": similarity / count,
            "token_accuracy": token_accuracy(predictions, references),
            "levenshtein": mean_levenshtein(predictions, references)}
