import numpy as np
import pytest

from attnkit.engine.classification_metrics import (
    classification_scores,
    confusion_matrix,
    format_report,
)
from attnkit.errors import AttnkitError


def test_binary_scores_by_hand():
    labels = np.array([1, 1, 1, 0, 0, 0, 0])
    predictions = np.array([1, 1, 0, 0, 0, 1, 0])
    matrix = confusion_matrix(labels, predictions, 2)
    np.testing.assert_array_equal(matrix, [[3, 1], [1, 2]])
    scores = classification_scores(matrix)
    assert scores["accuracy"] == pytest.approx(5 / 7)
    assert scores["precision"] == pytest.approx(2 / 3)
    assert scores["recall"] == pytest.approx(2 / 3)
    assert scores["f1"] == pytest.approx(2 / 3)


def test_multiclass_macro_average_and_empty_class():
    matrix = confusion_matrix(np.array([0, 1, 2, 2]), np.array([0, 2, 2, 2]), 4)
    scores = classification_scores(matrix)
    # per class precision: 1, 0, 2/3, 0 (never predicted); recall: 1, 0, 1, 0 (no examples)
    assert scores["precision"] == pytest.approx((1 + 0 + 2 / 3 + 0) / 4)
    assert scores["recall"] == pytest.approx(0.5)
    assert scores["accuracy"] == pytest.approx(0.75)


def test_report_names_classes_and_shape_mismatch_is_an_error():
    matrix = np.array([[5, 1], [2, 7]])
    report = format_report(classification_scores(matrix), matrix, ["neg", "pos"])
    assert "accuracy   0.8000" in report and "positive class" in report
    assert report.splitlines()[-1].split() == ["pos", "2", "7"]
    with pytest.raises(AttnkitError, match=r"\(2,\) labels but \(1,\) predictions"):
        confusion_matrix(np.array([0, 1]), np.array([0]), 2)
