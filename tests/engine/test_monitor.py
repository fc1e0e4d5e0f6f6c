import pytest

from attnkit.engine.monitor import MetricMonitor, kept_summary
from attnkit.errors import AttnkitError


def test_best_value_and_patience():
    monitor = MetricMonitor("val_loss", "min", patience=2)
    kept = [monitor.observe({"epoch": i, "val_loss": v}) for i, v in
            enumerate([0.5, 0.4, 0.45, 0.4], start=1)]
    # epoch 4 ties epoch 2 on the metric itself: kept as the later epoch, but not an improvement
    assert kept == [True, True, False, True]
    assert monitor.state() == {"best": 0.4, "bad_epochs": 2, "kept": {
        "epoch": 4, "tie_break": None, "why": "val_loss 0.4 tied with epoch 2; the later epoch"}}
    assert monitor.exhausted
    highest = MetricMonitor("val_accuracy", "max")
    assert [highest.update(v) for v in (0.1, 0.3, 0.2)] == [True, True, False]
    assert not highest.exhausted  # patience 0 never runs out


def test_a_tie_goes_to_the_lower_validation_loss_then_to_the_later_epoch():
    """The README's example run: accuracy 1.0 from epoch 1 on, while the loss keeps falling;
    'best' must not mean the first tied epoch."""
    monitor = MetricMonitor("val_accuracy", "max")
    records = [(1.0, 0.60), (1.0, 0.30), (1.0, 0.35), (1.0, 0.30), (0.9, 0.10)]
    kept = [monitor.observe({"epoch": i, "val_accuracy": a, "val_loss": loss})
            for i, (a, loss) in enumerate(records, start=1)]
    assert kept == [True, True, False, True, False]
    assert monitor.kept["epoch"] == 4
    assert kept_summary({"epoch": 5, "trainer": monitor.state()}) == \
        "epoch 4 (val_accuracy 1 tied with epoch 2; the later epoch)"
    assert monitor.bad_epochs == 4  # ties do not hold off early stopping
    first = MetricMonitor("val_accuracy", "max")
    first.observe({"epoch": 1, "val_accuracy": 0.5, "val_loss": 0.7})
    assert first.observe({"epoch": 2, "val_accuracy": 0.5, "val_loss": 0.6})
    assert first.kept["why"] == "val_accuracy 0.5 tied with epoch 1; lower val_loss (0.6 < 0.7)"
    assert kept_summary({"epoch": 2, "trainer": first.state()}).startswith("epoch 2 (")


def test_the_first_epoch_is_kept_for_its_value():
    monitor = MetricMonitor("val_bleu", "max")
    assert monitor.observe({"epoch": 1, "val_bleu": 12.5, "val_loss": 3.0})
    assert kept_summary({"epoch": 1, "trainer": monitor.state()}) == \
        "epoch 1 (highest val_bleu 12.5)"


def test_a_checkpoint_from_before_the_rule_restores_and_summarises():
    monitor = MetricMonitor("val_loss", "min")
    monitor.restore({"best": 0.3, "bad_epochs": 1})
    assert monitor.kept == {} and not monitor.update(0.4)
    assert kept_summary({"epoch": 3, "trainer": {"best": 0.3, "bad_epochs": 1}}) == "epoch 3"


def test_a_metric_that_is_not_logged_is_named():
    with pytest.raises(AttnkitError, match="'val_bleu' is not a logged metric; logged: val_loss"):
        MetricMonitor("val_bleu", "max").observe({"epoch": 1, "val_loss": 0.1})


def test_a_checkpoint_the_time_limit_cut_says_so():
    header = {"epoch": 0, "metrics": {"epoch": 0.8722, "val_loss": 0.4},
              "trainer": {"position": {"epoch": 0}, "best": None, "bad_epochs": 0, "kept": {}}}
    assert kept_summary(header) == "epoch 0.8722 (cut by the time limit; the best so far)"
