"""The sequence loss with label smoothing: the formula written out token by token, torch's
`cross_entropy(label_smoothing=)` on the real tokens alone, and padding that counts for nothing."""

import math

import pytest
import torch

from attnkit.engine.sequence_loss import padded_cross_entropy


def batch(seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """logits (2, 4, 5); targets with 4 and 2 real tokens, then padding (id 0)."""
    generator = torch.Generator().manual_seed(seed)
    logits = torch.randn(2, 4, 5, generator=generator, dtype=torch.float64)
    targets = torch.tensor([[3, 1, 4, 2], [2, 4, 0, 0]])
    return logits, targets


def smoothed_by_hand(logits: torch.Tensor, targets: torch.Tensor, eps: float) -> float:
    """Mean over real tokens of (1 - eps) * -log p(y) + eps * mean over classes of -log p(k)."""
    losses = []
    for row, target_row in zip(logits, targets, strict=True):
        for scores, target in zip(row.tolist(), target_row.tolist(), strict=True):
            if target == 0:
                continue
            log_total = math.log(sum(math.exp(score) for score in scores))
            negative_logs = [log_total - score for score in scores]
            losses.append((1 - eps) * negative_logs[target]
                          + eps * sum(negative_logs) / len(scores))
    return sum(losses) / len(losses)


@pytest.mark.parametrize("eps", [0.0, 0.1, 0.3])
def test_label_smoothing_is_the_formula_over_real_tokens(eps):
    logits, targets = batch()
    loss = padded_cross_entropy(logits, targets, label_smoothing=eps)
    assert loss.item() == pytest.approx(smoothed_by_hand(logits, targets, eps), abs=1e-6)
    real = targets.flatten() != 0
    oracle = torch.nn.functional.cross_entropy(logits.flatten(0, 1)[real].float(),
                                               targets.flatten()[real], label_smoothing=eps)
    torch.testing.assert_close(loss, oracle)


def test_padding_positions_change_nothing():
    logits, targets = batch()
    changed = logits.clone()
    changed[1, 2:] = 100 * torch.randn(2, 5, dtype=torch.float64)
    for reduction in ("mean", "sum"):
        torch.testing.assert_close(
            padded_cross_entropy(changed, targets, reduction, label_smoothing=0.1),
            padded_cross_entropy(logits, targets, reduction, label_smoothing=0.1))


def test_sum_is_mean_times_real_tokens_and_smoothing_raises_a_confident_loss():
    logits, targets = batch()
    total = padded_cross_entropy(logits, targets, "sum", label_smoothing=0.1)
    mean = padded_cross_entropy(logits, targets, label_smoothing=0.1)
    assert total.item() == pytest.approx(6 * mean.item())
    confident = torch.full((1, 1, 5), -20.0)
    confident[0, 0, 3] = 20.0
    target = torch.tensor([[3]])
    assert padded_cross_entropy(confident, target).item() < 1e-6
    assert padded_cross_entropy(confident, target, label_smoothing=0.1).item() > 3


def test_a_smoothing_outside_zero_to_one_is_refused():
    logits, targets = batch()
    with pytest.raises(ValueError, match="label_smoothing"):
        padded_cross_entropy(logits, targets, label_smoothing=1.0)
