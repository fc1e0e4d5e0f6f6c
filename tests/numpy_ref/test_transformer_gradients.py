"""Finite-difference gradient checks (float64, central differences) for every layer of the NumPy
Transformer and for the whole model's loss, padding and tied embeddings included."""

import numpy as np
import pytest

from attnkit.numpy_ref.feed_forward import PositionwiseFeedForward
from attnkit.numpy_ref.gradient_check import numerical_gradient, relative_error
from attnkit.numpy_ref.layers import TimeSoftmaxWithLoss
from attnkit.numpy_ref.linear import LayerNorm, Linear
from attnkit.numpy_ref.multihead import MultiHeadAttention
from attnkit.numpy_ref.positions import TokenEmbedding
from attnkit.numpy_ref.transformer_layers import TransformerDecoderLayer, TransformerEncoderLayer
from attnkit.numpy_ref.transformer_seq2seq import TransformerSeq2Seq
from attnkit.numpy_ref.transformer_stacks import OutputLayer

from .test_gradients import LENGTHS, MASK, TOLERANCE, B, S, T, V, check, normal, rng

E, HEADS, FF = 4, 2, 6


def randomise(layer, scale: float = 0.5) -> None:
    """Every parameter random (LayerNorm gains and biases start at 1 and 0)."""
    for index, param in enumerate(layer.params):
        param[...] = normal(*param.shape, seed=100 + index) * scale


@pytest.mark.parametrize("bias", [True, False])
def test_linear_over_any_leading_shape(bias):
    x = normal(B, T, E, seed=1)
    layer = Linear(normal(E, V, seed=2), normal(V, seed=3) if bias else None)
    check(layer, [x], lambda: (layer.forward(x),), lambda p: [layer.backward(p[0])])


def test_layer_norm():
    x = normal(B, T, E, seed=1) * 3 + 1
    layer = LayerNorm(normal(E, seed=2), normal(E, seed=3))
    check(layer, [x], lambda: (layer.forward(x),), lambda p: [layer.backward(p[0])])


@pytest.mark.parametrize("causal, T_queries, mask", [(False, T, MASK), (True, S, None),
                                                     (True, S, MASK), (True, 2, None)],
                         ids=["cross-masked", "causal", "causal-masked", "causal-last-two"])
def test_multihead_attention(causal, T_queries, mask):
    query, keys, values = (normal(B, T_queries, E, seed=1), normal(B, S, E, seed=2),
                           normal(B, S, E, seed=3))
    layer = MultiHeadAttention(E, E, HEADS, E, rng(4), np.float64, causal=causal)
    randomise(layer)
    check(layer, [query, keys, values],
          lambda: (layer.forward(query, keys, values, mask)[0],),
          lambda p: list(layer.backward(p[0])))
    _, weights = layer.forward(query, keys, values, mask)
    if mask is not None:
        assert np.all(weights[~np.broadcast_to(mask[:, None, None, :], weights.shape)] == 0)


def test_feed_forward():
    x = normal(B, T, E, seed=1)
    layer = PositionwiseFeedForward(E, FF, rng(2), np.float64)
    randomise(layer)
    check(layer, [x], lambda: (layer.forward(x),), lambda p: [layer.backward(p[0])])


def test_token_embedding_with_positions():
    layer = TokenEmbedding(normal(V, E, seed=1), max_positions=8)
    ids = np.array([[1, 2, 1], [0, 1, 6]])
    check(layer, [], lambda: (layer.forward(ids, start=2),),
          lambda p: layer.backward(p[0]) or [])


@pytest.mark.parametrize("tied", [True, False])
def test_output_layer(tied):
    states, table = normal(B, T, E, seed=1), normal(V, E, seed=2)
    layer = OutputLayer(table, normal(V, seed=3), tied)
    probe = normal(B, T, V, seed=4)
    check(layer, [states], lambda: (layer.forward(states),), lambda p: [layer.backward(p[0])])
    layer.forward(states)
    layer.backward(probe)

    def loss() -> float:
        return float((layer.forward(states) * probe).sum())

    assert relative_error(layer.weight_grad, numerical_gradient(loss, table)) < TOLERANCE


def test_encoder_layer_with_padding():
    x = normal(B, S, E, seed=1)
    layer = TransformerEncoderLayer(E, HEADS, FF, rng(2), np.float64)
    randomise(layer)
    check(layer, [x], lambda: (layer.forward(x, MASK),), lambda p: [layer.backward(p[0])])


def test_decoder_layer_with_padded_memory():
    x, memory = normal(B, T, E, seed=1), normal(B, S, E, seed=2)
    layer = TransformerDecoderLayer(E, HEADS, FF, rng(3), np.float64)
    randomise(layer)
    check(layer, [x, memory], lambda: (layer.forward(x, memory, MASK),),
          lambda p: list(layer.backward(p[0])))


@pytest.mark.parametrize("tie, shared", [(True, True), (True, False), (False, False)],
                         ids=["tied-shared", "tied", "untied"])
def test_whole_model_through_the_loss(tie, shared):
    model = TransformerSeq2Seq(V, V if shared else V + 2, E, HEADS, FF, 2, 2, 16, tie, shared,
                               seed=0, dtype=np.float64)
    randomise(model)
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
    for name, param, grad in zip(model.state_dict(), model.params, analytic, strict=True):
        assert relative_error(grad, numerical_gradient(loss, param)) < TOLERANCE, name
