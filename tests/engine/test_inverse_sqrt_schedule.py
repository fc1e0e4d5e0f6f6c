"""The inverse-square-root ("noam") schedule against the Transformer paper's formula."""

import pytest

from attnkit.engine.train_config import TrainConfig
from attnkit.engine.trainer import learning_rate_factor


def noam(step: int, model_size: int, warmup: int) -> float:
    """Vaswani et al. 2017, eq. 3, at training step number `step` (counted from 1)."""
    return model_size ** -0.5 * min(step ** -0.5, step * warmup ** -1.5)


@pytest.mark.parametrize("warmup", [1, 10, 4000])
def test_the_factor_times_the_peak_rate_is_the_noam_rate(warmup):
    peak = noam(warmup, 512, warmup)  # the rate at the last warm-up step
    for step in [0, 1, warmup // 2, warmup - 1, warmup, warmup + 1, 3 * warmup, 100_000]:
        factor = learning_rate_factor(step, 10, "inverse_sqrt", warmup)  # total: ignored
        assert peak * factor == pytest.approx(noam(step + 1, 512, warmup), rel=1e-12)


def test_it_peaks_at_one_and_halves_at_four_times_the_warmup():
    assert learning_rate_factor(99, 1000, "inverse_sqrt", 100) == pytest.approx(1.0)
    assert learning_rate_factor(399, 1000, "inverse_sqrt", 100) == pytest.approx(0.5)


def test_it_needs_a_warmup():
    with pytest.raises(ValueError, match="warmup_steps"):
        TrainConfig(schedule="inverse_sqrt")
    assert TrainConfig(schedule="inverse_sqrt", warmup_steps=4000).warmup_steps == 4000
