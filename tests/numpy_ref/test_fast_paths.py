"""Fast paths equal their readable references; masks keep padding out exactly."""

import numpy as np
import pytest

from attnkit.numpy_ref import (
    LSTM,
    AttentionSeq2seq,
    StepwiseTimeAttention,
    TimeAttention,
    TimeBiLSTM,
    TimeLSTM,
)
from attnkit.numpy_ref.batching import bucketed_order, pad_pairs, sequential_batches

B, S, T, D, H = 3, 6, 4, 5, 8
LENGTHS = np.array([6, 2, 4])
MASK = np.arange(S)[None, :] < LENGTHS[:, None]


def normal(*shape: int, seed: int = 0, dtype=np.float32) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def lstm_weights(seed: int) -> tuple[np.ndarray, ...]:
    return (normal(D, 4 * H, seed=seed), normal(H, 4 * H, seed=seed + 1) / 3,
            normal(4 * H, seed=2), normal(4 * H, seed=3))


def test_time_lstm_equals_a_loop_of_lstm_steps():
    xs, h0, c0 = normal(B, S, D, seed=1), normal(B, H, seed=2), normal(B, H, seed=3)
    fast = TimeLSTM(*lstm_weights(4), stateful=True)
    fast.set_state(h0, c0)
    hs = fast.forward(xs)
    step, h, c = LSTM(*lstm_weights(4)), h0, c0
    for t in range(S):
        h, c = step.forward(xs[:, t], h, c)
        np.testing.assert_allclose(hs[:, t], h, atol=2e-6, rtol=0)
    np.testing.assert_allclose(fast.c, c, atol=2e-6, rtol=0)


def test_masked_time_lstm_equals_each_sequence_run_alone():
    xs = normal(B, S, D, seed=1)
    layer = TimeLSTM(*lstm_weights(4))
    hs = layer.forward(xs, MASK)
    final_h = layer.h.copy()
    assert np.all(hs[~MASK] == 0)
    for b, length in enumerate(LENGTHS):
        alone = layer.forward(xs[b : b + 1, :length])
        np.testing.assert_allclose(hs[b, :length], alone[0], atol=1e-6, rtol=0)
        np.testing.assert_allclose(final_h[b], layer.h[0], atol=1e-6, rtol=0)


@pytest.mark.parametrize("stateful", [True, False], ids=["initial-state", "zero-start"])
def test_row_blocks_on_threads_give_the_single_thread_results(stateful):
    xs, dhs = normal(40, S, D, seed=1), normal(40, S, H, seed=2)
    mask = np.arange(S)[None, :] < np.random.default_rng(3).integers(1, S + 1, 40)[:, None]
    results = []
    for workers in (1, 2):
        layer = TimeLSTM(*lstm_weights(4), stateful=stateful, workers=workers)
        if stateful:
            layer.set_state(normal(40, H, seed=5), normal(40, H, seed=6))
        hs = layer.forward(xs, mask)
        dxs = layer.backward(dhs, dh_last=normal(40, H, seed=7))
        start_grads = [layer.dh, layer.dc] if stateful else []
        results.append([hs, layer.h, layer.c, dxs, *start_grads, *layer.grads])
    for single, threaded in zip(*results, strict=True):
        np.testing.assert_allclose(threaded, single, atol=1e-5, rtol=1e-5)


def test_bilstm_backward_direction_reads_each_sequence_from_its_end():
    xs = normal(B, S, D, seed=1)
    layer = TimeBiLSTM(lstm_weights(4), lstm_weights(7))
    hs = layer.forward(xs, MASK)
    backward_only = TimeLSTM(*lstm_weights(7))
    b, length = 2, LENGTHS[2]
    alone = backward_only.forward(xs[b : b + 1, :length][:, ::-1])[0, ::-1]
    np.testing.assert_allclose(hs[b, :length, H:], alone, atol=1e-6, rtol=0)
    assert np.all(hs[~MASK] == 0)


def test_batched_time_attention_equals_the_stepwise_loop():
    queries, keys, dcontext = normal(B, T, H, seed=1), normal(B, S, H, seed=2), normal(B, T, H)
    fast, reference = TimeAttention(), StepwiseTimeAttention()
    fast_context, fast_weights = fast.forward(queries, keys, MASK)
    context, weights = reference.forward(queries, keys, MASK)
    np.testing.assert_allclose(fast_context, context, atol=1e-5, rtol=0)
    np.testing.assert_allclose(fast_weights, weights, atol=1e-6, rtol=0)
    for fast_grad, grad in zip(fast.backward(dcontext), reference.backward(dcontext), strict=True):
        np.testing.assert_allclose(fast_grad, grad, atol=1e-5, rtol=0)


def test_padded_source_positions_get_weight_exactly_zero():
    _, weights = TimeAttention().forward(normal(B, T, H), normal(B, S, H), MASK)
    assert np.all(weights[np.broadcast_to(~MASK[:, None, :], weights.shape)] == 0)
    np.testing.assert_allclose(weights.sum(axis=2), 1.0, rtol=1e-6)


@pytest.mark.parametrize("extra_padding", [0, 3])
def test_padding_never_changes_a_models_logits(extra_padding):
    model = AttentionSeq2seq(9, 4, H, seed=0)
    source = np.random.default_rng(0).integers(4, 9, (B, S)) * MASK
    padded = np.pad(source, ((0, 0), (0, extra_padding)))
    target_in = np.random.default_rng(1).integers(4, 9, (B, T))
    logits = model.forward(padded, LENGTHS, target_in)
    for b, length in enumerate(LENGTHS):
        alone = model.forward(source[b : b + 1, :length], LENGTHS[b : b + 1], target_in[b : b + 1])
        np.testing.assert_allclose(logits[b], alone[0], atol=1e-5, rtol=0)


def test_bucketed_batches_cover_every_row_once_and_pad_little():
    lengths = np.random.default_rng(0).integers(1, 30, 1000)
    batches = bucketed_order(lengths, 32, seed=0, epoch=1)
    assert sorted(np.concatenate(batches).tolist()) == list(range(1000))
    spread = np.mean([lengths[index].max() - lengths[index].min() for index in batches])
    assert spread <= 2
    assert [b.tolist() for b in bucketed_order(lengths, 32, 0, 1)] == [b.tolist() for b in batches]


def test_pad_pairs_reverses_within_length_and_batches_trim_padding():
    arrays = pad_pairs([[5, 6, 7], [8]], [[9, 10], [11]], start_id=2, end_id=3)
    assert arrays["source"].tolist() == [[7, 6, 5], [8, 0, 0]]
    assert arrays["target_in"].tolist() == [[2, 9, 10], [2, 11, 0]]
    assert arrays["target_out"].tolist() == [[9, 10, 3], [11, 3, 0]]
    (last,) = list(sequential_batches({k: v[1:] for k, v in arrays.items()}, 4))
    assert last["source"].shape == (1, 1) and last["target_out"].tolist() == [[11, 3]]
