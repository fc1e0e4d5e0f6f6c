import math

import pytest
import torch

from attnkit.pipelines.img2seq.attention_supervision import (
    attention_on_target,
    attention_supervision_loss,
    cell_loss,
    grid_targets,
)

G, S = 4, 64  # 16 px cells


def test_targets_are_gaussians_over_the_grid_centred_on_the_position():
    positions = torch.tensor([[[24.0, 40.0], [float("nan"), float("nan")]]])  # cell (1, 2)
    targets, has_target = grid_targets(positions, G, S, sigma=0.6)
    assert targets.shape == (1, 2, 16) and has_target.tolist() == [[True, False]]
    torch.testing.assert_close(targets[0, 0].sum(), torch.tensor(1.0))
    assert int(targets[0, 0].argmax()) == 2 * G + 1
    # neighbours one cell away carry exp(-1 / (2 sigma^2)) of the peak
    ratio = targets[0, 0, 2 * G + 2] / targets[0, 0, 2 * G + 1]
    assert float(ratio) == pytest.approx(math.exp(-1 / (2 * 0.6 ** 2)), rel=1e-5)


def test_loss_is_the_cross_entropy_against_the_target_and_least_at_the_target():
    positions = torch.tensor([[[24.0, 40.0], [8.0, 8.0], [float("nan"), float("nan")]]])
    targets, _ = grid_targets(positions, G, S, sigma=0.6)
    uniform = torch.full((1, 3, 16), 1 / 16)
    assert float(attention_supervision_loss(uniform, positions, G, S, 0.6)) == \
        pytest.approx(math.log(16), rel=1e-5)  # the unsupervised third step does not count
    exact = targets.clone()
    exact[0, 2] = 1 / 16
    entropy = float(-(targets[0, :2] * targets[0, :2].log()).sum(-1).mean())
    assert float(attention_supervision_loss(exact, positions, G, S, 0.6)) == \
        pytest.approx(entropy, rel=1e-5)
    assert entropy < math.log(16)


def test_loss_gradient_pulls_attention_toward_the_atom():
    positions = torch.tensor([[[24.0, 40.0]]])
    scores = torch.zeros(1, 1, 16, requires_grad=True)
    attention_supervision_loss(torch.softmax(scores, -1), positions, G, S, 0.6).backward()
    assert int(scores.grad[0, 0].argmin()) == 2 * G + 1  # descending raises that cell most


def test_no_supervised_step_gives_a_zero_loss_that_still_backpropagates():
    attention = torch.full((2, 3, 16), 1 / 16, requires_grad=True)
    loss = attention_supervision_loss(attention, torch.full((2, 3, 2), float("nan")), G, S, 0.6)
    loss.backward()
    assert float(loss.detach()) == 0.0 and attention.grad is not None


def test_attention_on_target_counts_peaks_within_one_cell():
    positions = torch.tensor([[[24.0, 40.0], [24.0, 40.0], [24.0, 40.0],
                               [float("nan"), float("nan")]]])
    attention = torch.zeros(1, 4, 16)
    attention[0, 0, 2 * G + 1] = 1  # on the cell
    attention[0, 1, 3 * G + 2] = 1  # diagonal neighbour: within one cell
    attention[0, 2, 2 * G + 3] = 1  # two columns away: off
    attention[0, 3, 0] = 1  # no position: not counted
    assert attention_on_target(attention, positions, G, S) == (2, 3)


def test_cell_loss_is_the_mean_cross_entropy_over_cells():
    logits = torch.zeros(2, 16, 5)
    logits[..., 0] = 10.0  # confident "no atom" everywhere
    tokens = torch.zeros(2, 16, dtype=torch.long)
    assert float(cell_loss(logits, tokens)) < 1e-3
    tokens[0, 3] = 4
    normaliser = math.log(math.exp(10) + 4)  # softmax over 5 classes, one at 10
    expected = (normaliser + 31 * (normaliser - 10.0)) / 32  # one wrong cell of 32
    assert float(cell_loss(logits, tokens)) == pytest.approx(expected, rel=1e-4)
