import pytest

from attnkit.engine.monitor import MetricMonitor
from attnkit.errors import AttnkitError


def test_best_value_and_patience():
    monitor = MetricMonitor("val_loss", "min", patience=2)
    improved = [monitor.observe({"epoch": i, "val_loss": v}) for i, v in
                enumerate([0.5, 0.4, 0.45, 0.4], start=1)]
    assert improved == [True, True, False, False]  # equal is not better
    assert monitor.state() == {"best": 0.4, "bad_epochs": 2} and monitor.exhausted
    highest = MetricMonitor("val_accuracy", "max")
    assert [highest.update(v) for v in (0.1, 0.3, 0.2)] == [True, True, False]
    assert not highest.exhausted  # patience 0 never runs out


def test_a_metric_that_is_not_logged_is_named():
    with pytest.raises(AttnkitError, match="'val_bleu' is not a logged metric; logged: val_loss"):
        MetricMonitor("val_bleu", "max").observe({"epoch": 1, "val_loss": 0.1})
