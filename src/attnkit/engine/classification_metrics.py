"""Accuracy, precision, recall, F1 and the confusion matrix for class predictions.

Binary problems report precision/recall/F1 of the positive class (id 1); problems with more
classes report their macro average (the unweighted mean over classes).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from attnkit.errors import AttnkitError


def confusion_matrix(labels: np.ndarray, predictions: np.ndarray, num_classes: int) -> np.ndarray:
    """(C, C) counts: row = true class, column = predicted class."""
    labels = np.asarray(labels, dtype=np.int64)
    predictions = np.asarray(predictions, dtype=np.int64)
    if labels.shape != predictions.shape:
        raise AttnkitError(f"{labels.shape} labels but {predictions.shape} predictions")
    flat = labels * num_classes + predictions
    return np.bincount(flat, minlength=num_classes * num_classes).reshape(num_classes, num_classes)


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """numerator / denominator, 0 where the denominator is 0 (scikit-learn's convention)."""
    safe = np.where(denominator > 0, denominator, 1)
    return np.where(denominator > 0, numerator / safe, 0.0)


def classification_scores(matrix: np.ndarray) -> dict[str, float]:
    """accuracy, precision, recall, f1 (positive class if binary, else macro) of a matrix."""
    matrix = np.asarray(matrix, dtype=np.float64)
    true_positive = np.diag(matrix)
    precision = _ratio(true_positive, matrix.sum(axis=0))
    recall = _ratio(true_positive, matrix.sum(axis=1))
    f1 = _ratio(2 * precision * recall, precision + recall)
    chosen = slice(1, 2) if len(matrix) == 2 else slice(None)
    total = matrix.sum()
    return {
        "accuracy": float(true_positive.sum() / total) if total else 0.0,
        "precision": float(precision[chosen].mean()),
        "recall": float(recall[chosen].mean()),
        "f1": float(f1[chosen].mean()),
    }


def format_report(
    scores: dict[str, float], matrix: np.ndarray, class_names: Sequence[str]
) -> str:
    """Scores and the confusion matrix as aligned text for the terminal."""
    average = "positive class" if len(class_names) == 2 else "macro average"
    lines = [f"examples   {int(np.asarray(matrix).sum())}"]
    lines.append(f"accuracy   {scores['accuracy']:.4f}")
    for name in ("precision", "recall", "f1"):
        lines.append(f"{name:<10} {scores[name]:.4f}  ({average})")
    width = max(8, *(len(name) for name in class_names)) + 1
    lines.append("confusion matrix (rows: true, columns: predicted)")
    lines.append(" " * width + "".join(f"{name:>{width}}" for name in class_names))
    for name, row in zip(class_names, np.asarray(matrix), strict=True):
        lines.append(f"{name:<{width}}" + "".join(f"{int(count):>{width}}" for count in row))
    return "\n".join(lines)
