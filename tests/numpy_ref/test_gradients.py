"""Finite-difference gradient checks (float64, central differences) for every NumPy layer and
every NumPy model on a tiny batch, padding included."""

import numpy as np
import pytest

from attnkit.numpy_ref import (
    LSTM,
    Affine,
    AttentionSeq2seq,
    AttentionWeight,
    DotAttention,
    Embedding,
    PeekySeq2seq,
    Seq2seq,
    Softmax,
    StepwiseTimeAttention,
    TimeAffine,
    TimeAttention,
    TimeBiLSTM,
    TimeLSTM,
    TimeSoftmaxWithLoss,
    WeightSum,
)
from attnkit.numpy_ref.gradient_check import numerical_gradient, relative_error

B, S, T, D, H, V = 3, 5, 4, 3, 4, 7
LENGTHS = np.array([5, 2, 3])
MASK = np.arange(S)[None, :] < LENGTHS[:, None]
TOLERANCE = 1e-6


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def normal(*shape: int, seed: int = 0) -> np.ndarray:
    return rng(seed).standard_normal(shape)


def check(layer, inputs: list[np.ndarray], run, backward) -> None:
    """Compare backward with central differences for each input and each parameter.

    run() -> outputs (tuple of arrays), the loss is sum(output * probe) with fixed random probes;
    backward(probes) -> gradients of the inputs in the order of `inputs`.
    """
    outputs = run()
    probes = [normal(*out.shape, seed=10 + i) for i, out in enumerate(outputs)]

    def loss() -> float:
        return float(sum((out * probe).sum() for out, probe in zip(run(), probes, strict=True)))

    run()
    input_grads = backward(probes)
    param_grads = [grad.copy() for grad in layer.grads]
    for array, analytic in zip(inputs, input_grads, strict=True):
        assert relative_error(analytic, numerical_gradient(loss, array)) < TOLERANCE
    for param, analytic in zip(layer.params, param_grads, strict=True):
        assert relative_error(analytic, numerical_gradient(loss, param)) < TOLERANCE


def lstm_weights(D: int, seed: int) -> tuple[np.ndarray, ...]:
    return (normal(D, 4 * H, seed=seed), normal(H, 4 * H, seed=seed + 1),
            normal(4 * H, seed=seed), normal(4 * H, seed=seed + 2))


def test_embedding_gradient_sums_repeated_ids():
    layer = Embedding(normal(V, D))
    ids = np.array([[1, 2, 1], [0, 1, 6]])
    check(layer, [], lambda: (layer.forward(ids),), lambda probes: layer.backward(probes[0]) or [])


def test_affine_and_time_affine():
    x = normal(B, D)
    affine = Affine(normal(D, V), normal(V))
    check(affine, [x], lambda: (affine.forward(x),), lambda p: [affine.backward(p[0])])
    xs = normal(B, T, D)
    time_affine = TimeAffine(normal(D, V), normal(V))
    check(time_affine, [xs], lambda: (time_affine.forward(xs),),
          lambda p: [time_affine.backward(p[0])])


def test_softmax():
    x = normal(B, V)
    layer = Softmax()
    check(layer, [x], lambda: (layer.forward(x),), lambda p: [layer.backward(p[0])])


def test_time_softmax_with_loss_ignores_padding():
    logits = normal(B, T, V)
    targets = np.array([[1, 2, 3, 0], [4, 0, 0, 0], [6, 5, 1, 2]])
    layer = TimeSoftmaxWithLoss(pad_id=0)
    check(layer, [logits], lambda: (np.array(layer.forward(logits, targets)),),
          lambda p: [layer.backward(float(p[0]))])
    layer.forward(logits, targets)
    assert np.all(layer.backward()[targets == 0] == 0)


def test_lstm_step():
    x, h, c = normal(B, D, seed=1), normal(B, H, seed=2), normal(B, H, seed=3)
    layer = LSTM(*lstm_weights(D, seed=4))
    check(layer, [x, h, c], lambda: layer.forward(x, h, c), lambda p: layer.backward(p[0], p[1]))


@pytest.mark.parametrize("mask", [None, MASK], ids=["unmasked", "masked"])
def test_time_lstm_with_initial_state(mask):
    xs, h0, c0 = normal(B, S, D, seed=1), normal(B, H, seed=2), normal(B, H, seed=3)
    layer = TimeLSTM(*lstm_weights(D, seed=4), stateful=True)

    def run():
        layer.set_state(h0, c0)
        return layer.forward(xs, mask), layer.h

    def backward(probes):
        dxs = layer.backward(probes[0], dh_last=probes[1])
        return [dxs, layer.dh, layer.dc]

    check(layer, [xs, h0, c0], run, backward)


def test_time_bilstm_masked():
    xs = normal(B, S, D, seed=1)
    layer = TimeBiLSTM(lstm_weights(D, seed=2), lstm_weights(D, seed=5))
    check(layer, [xs], lambda: (layer.forward(xs, MASK),), lambda p: [layer.backward(p[0])])


def test_attention_weight_and_weight_sum():
    query, keys, weights = normal(B, H, seed=1), normal(B, S, H, seed=2), normal(B, S, seed=3)
    weight_layer = AttentionWeight()
    check(weight_layer, [query, keys], lambda: (weight_layer.forward(query, keys, MASK),),
          lambda p: list(weight_layer.backward(p[0])))
    sum_layer = WeightSum()
    check(sum_layer, [weights, keys], lambda: (sum_layer.forward(weights, keys),),
          lambda p: list(sum_layer.backward(p[0])))


@pytest.mark.parametrize("layer_class", [StepwiseTimeAttention, TimeAttention])
def test_time_attention(layer_class):
    queries, keys = normal(B, T, H, seed=1), normal(B, S, H, seed=2)
    layer = layer_class()
    check(layer, [queries, keys], lambda: (layer.forward(queries, keys, MASK)[0],),
          lambda p: list(layer.backward(p[0])))


def test_attention_step():
    query, keys = normal(B, H, seed=1), normal(B, S, H, seed=2)
    layer = DotAttention()
    check(layer, [query, keys], lambda: (layer.forward(query, keys, MASK)[0],),
          lambda p: list(layer.backward(p[0])))


@pytest.mark.parametrize("model_class", [Seq2seq, PeekySeq2seq, AttentionSeq2seq])
def test_whole_model_through_the_loss(model_class):
    model = model_class(V, D, H, seed=0, dtype=np.float64)
    for param in model.params:  # biases start at zero; make every path count
        param[...] = normal(*param.shape, seed=param.size) * 0.5
    generator = rng(7)
    source = generator.integers(1, V, (B, S)) * MASK
    target_in = generator.integers(1, V, (B, T))
    target_out = np.where(np.arange(T) < np.array([[4], [2], [3]]), target_in, 0)
    loss_layer = TimeSoftmaxWithLoss()

    def loss() -> float:
        return loss_layer.forward(model.forward(source, LENGTHS, target_in), target_out)

    loss()
    model.backward(loss_layer.backward())
    analytic = [grad.copy() for grad in model.grads]
    for param, grad in zip(model.params, analytic, strict=True):
        assert relative_error(grad, numerical_gradient(loss, param)) < TOLERANCE
