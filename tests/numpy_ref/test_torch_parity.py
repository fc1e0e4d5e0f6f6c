"""The NumPy and torch engines on the same weights and batch: same logits, same gradients, same
greedy outputs; and checkpoints that move between the engines both ways (the NumPy engine's
models go through the one checkpoint writer and reader, under the torch names)."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from attnkit.decoding import greedy_search
from attnkit.models.seq2seq import Seq2seqConfig, build_seq2seq
from attnkit.numpy_ref.layers import TimeSoftmaxWithLoss
from attnkit.pipelines.seq2seq.numpy_engine import (
    build_numpy_model,
    load_numpy_model,
    numpy_to_torch_state,
    torch_to_numpy_state,
)
from attnkit.run.checkpoint import load_checkpoint, load_model_state, save_checkpoint

V, E, H, START, END = 11, 5, 8, 2, 3
LENGTHS = torch.tensor([6, 2, 4, 5])
KINDS = ["attention", "peeky", "plain"]


def batch() -> dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(3)
    B, S, T = len(LENGTHS), int(LENGTHS.max()), 5
    source = torch.randint(4, V, (B, S), generator=generator)
    source = source * (torch.arange(S)[None, :] < LENGTHS[:, None])
    target_out = torch.randint(4, V, (B, T), generator=generator)
    target_out[1, 3:] = 0  # a shorter target: padding must not count
    target_in = torch.cat([torch.full((B, 1), START), target_out[:, :-1]], dim=1)
    return {"source": source, "source_lengths": LENGTHS, "target_in": target_in,
            "target_out": target_out}


def torch_model(kind: str, seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    model = build_seq2seq(V, Seq2seqConfig(kind=kind, embedding_size=E, hidden_size=H))
    with torch.no_grad():  # nonzero biases everywhere, so that the bias mapping is tested
        for name, param in model.named_parameters():
            if "bias" in name:
                param.uniform_(-0.5, 0.5)
    return model


def numpy_twin(model: torch.nn.Module, kind: str):
    twin = build_numpy_model(V, Seq2seqConfig(kind=kind, embedding_size=E, hidden_size=H))
    twin.load_state_dict(torch_to_numpy_state(model.state_dict(), twin))
    return twin


@pytest.mark.parametrize("kind", KINDS)
def test_same_logits_and_gradients(kind):
    model, data = torch_model(kind), batch()
    twin = numpy_twin(model, kind)
    logits = model(data["source"], data["source_lengths"], data["target_in"])
    F.cross_entropy(logits.reshape(-1, V), data["target_out"].reshape(-1),
                    ignore_index=0).backward()
    arrays = {name: value.numpy() for name, value in data.items()}
    numpy_logits = twin.forward(arrays["source"], arrays["source_lengths"], arrays["target_in"])
    np.testing.assert_allclose(numpy_logits, logits.detach().numpy(), atol=1e-5, rtol=0)
    loss = TimeSoftmaxWithLoss()
    loss.forward(numpy_logits, arrays["target_out"])
    twin.backward(loss.backward())
    grads_as_params = build_numpy_model(V, Seq2seqConfig(kind=kind, embedding_size=E,
                                                         hidden_size=H))
    grads_as_params.load_state_dict(dict(zip(twin.state_dict(), twin.grads, strict=True)))
    numpy_grads = numpy_to_torch_state(grads_as_params)
    for name, param in model.named_parameters():
        np.testing.assert_allclose(numpy_grads[name].numpy(), param.grad.numpy(), atol=1e-4,
                                   rtol=0, err_msg=name)


def greedy_ids(model: torch.nn.Module, data: dict[str, torch.Tensor]) -> list[list[int]]:
    model.eval()
    hypotheses = greedy_search(model, data["source"], data["source_lengths"], START, END, 7)
    return [hypothesis.tokens for hypothesis in hypotheses]


def numpy_greedy_ids(twin, data: dict[str, torch.Tensor]) -> list[list[int]]:
    ids = twin.generate(data["source"].numpy(), data["source_lengths"].numpy(), START, 7, END)
    return [row[: row.index(END)] if END in row else row for row in ids.tolist()]


@pytest.mark.parametrize("kind", KINDS)
def test_same_greedy_outputs(kind):
    model, data = torch_model(kind), batch()
    assert numpy_greedy_ids(numpy_twin(model, kind), data) == greedy_ids(model, data)


def test_numpy_checkpoint_decodes_identically_in_torch(tmp_path):
    config = Seq2seqConfig(kind="attention", embedding_size=E, hidden_size=H)
    trained = build_numpy_model(V, config, seed=5)
    for param in trained.params:  # stand-in for training: no zero biases
        param += np.random.default_rng(param.size).normal(0, 0.3, param.shape).astype(param.dtype)
    path = tmp_path / "numpy.safetensors"
    save_checkpoint(path, numpy_to_torch_state(trained), {"meta": {"task": "test"}, "epoch": 1})
    model = build_seq2seq(V, config)
    load_model_state(model, load_checkpoint(path))
    data = batch()
    assert greedy_ids(model, data) == numpy_greedy_ids(trained, data)


def test_torch_checkpoint_loads_into_numpy(tmp_path):
    model, data = torch_model("attention", seed=4), batch()
    path = tmp_path / "torch.safetensors"
    save_checkpoint(path, model.state_dict(), {"meta": {"task": "test"}})
    checkpoint = load_checkpoint(path)
    assert checkpoint.meta == {"task": "test"}
    twin = load_numpy_model(checkpoint, Seq2seqConfig(kind="attention", embedding_size=E,
                                                      hidden_size=H))
    assert numpy_greedy_ids(twin, data) == greedy_ids(model, data)
    logits = model(data["source"], data["source_lengths"], data["target_in"]).detach().numpy()
    numpy_logits = twin.forward(data["source"].numpy(), data["source_lengths"].numpy(),
                                data["target_in"].numpy())
    np.testing.assert_allclose(numpy_logits, logits, atol=1e-5, rtol=0)


def test_dot_attention_is_the_same_maths_in_both_engines():
    """Same class name, same maths: numpy_ref.DotAttention = layers.DotAttention, values = keys."""
    from attnkit.layers import DotAttention as TorchDotAttention
    from attnkit.numpy_ref import DotAttention

    generator = torch.Generator().manual_seed(5)
    query, keys = torch.randn(4, H, generator=generator), torch.randn(4, 6, H, generator=generator)
    mask = torch.arange(6)[None, :] < LENGTHS[:, None]
    context, weights = TorchDotAttention()(query, keys, mask=mask)
    numpy_context, numpy_weights = DotAttention().forward(query.numpy(), keys.numpy(),
                                                          mask.numpy())
    np.testing.assert_allclose(numpy_weights, weights.numpy(), atol=1e-6, rtol=0)
    np.testing.assert_allclose(numpy_context, context.numpy(), atol=1e-5, rtol=0)
