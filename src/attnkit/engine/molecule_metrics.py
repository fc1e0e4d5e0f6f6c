"""Metrics of predicted SMILES against reference SMILES.

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
from typing import Any

from attnkit.data.molecule_render import require_rdkit
from attnkit.data.smiles_tokenizer import SMILES_PATTERN
from attnkit.engine.sequence_metrics import check_pairs


def parse_molecule(smiles: str) -> Any | None:
    """The RDKit molecule of `smiles`, or None when RDKit cannot parse it (or it is empty)."""
    if not smiles:
        return None
    return require_rdkit().MolFromSmiles(smiles)


def canonical_smiles(smiles: str) -> str | None:
    molecule = parse_molecule(smiles)
    return None if molecule is None else require_rdkit().MolToSmiles(molecule)


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


def token_accuracy(predictions: Sequence[str], references: Sequence[str]) -> float:
    correct = total = 0
    for prediction, reference in zip(predictions, references, strict=True):
        predicted, expected = SMILES_PATTERN.findall(prediction), SMILES_PATTERN.findall(reference)
        correct += sum(p == r for p, r in zip(predicted, expected, strict=False))
        total += max(len(predicted), len(expected))
    return correct / total if total else 1.0


def fingerprint(molecule: Any) -> Any:
    from rdkit.Chem import rdFingerprintGenerator

    return rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048).GetFingerprint(
        molecule)


def molecule_scores(predictions: Sequence[str], references: Sequence[str]) -> dict[str, float]:
    """exact_match, validity, tanimoto, token_accuracy and levenshtein (see the module text)."""
    check_pairs(predictions, references)
    from rdkit import DataStructs

    chem = require_rdkit()
    exact = valid = 0
    similarity = 0.0
    for prediction, reference in zip(predictions, references, strict=True):
        predicted, expected = parse_molecule(prediction), parse_molecule(reference)
        if predicted is None:
            continue
        valid += 1
        if expected is None:
            continue
        exact += chem.MolToSmiles(predicted) == chem.MolToSmiles(expected)
        similarity += DataStructs.TanimotoSimilarity(fingerprint(predicted), fingerprint(expected))
    count = len(references)
    distance = sum(levenshtein(p, r) for p, r in zip(predictions, references, strict=True))
    return {"exact_match": exact / count, "validity": valid / count,
            "tanimoto": similarity / count,
            "token_accuracy": token_accuracy(predictions, references),
            "levenshtein": distance / count}
