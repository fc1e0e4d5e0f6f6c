"""The NumPy and torch Transformers on the same weights: the same logits, gradients and greedy
outputs (float64 to 1e-9, float32 to 1e-5); weights move both ways under the torch names; and the
NumPy Transformer trains with the NumPy engine's Trainer and Adam."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from attnkit.decoding import greedy_search
from attnkit.errors import AttnkitError
from attnkit.models.transformer_seq2seq import TransformerConfig, TransformerSeq2Seq
from attnkit.numpy_ref import Adam, Trainer
from attnkit.numpy_ref.layers import TimeSoftmaxWithLoss
from attnkit.numpy_ref.transformer_layout import from_torch_layout, to_torch_layout
from attnkit.numpy_ref.transformer_seq2seq import TransformerSeq2Seq as NumpyTransformer

from ..models.transformer_overfit import TARGETS, VOCAB, date_batch

E, HEADS, FF, LAYERS, START, END = 8, 2, 12, 2, 2, 3
LENGTHS = torch.tensor([6, 2, 4, 5])
KINDS = [(True, True), (True, False), (False, False)]
IDS = ["tied-shared", "tied", "untied"]


@pytest.fixture(autouse=True)
def _single_thread(one_thread):
    yield


def vocab_sizes(shared: bool) -> tuple[int, int]:
    return (11, 11) if shared else (11, 13)


def batch(target_vocab: int) -> dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(3)
    B, S, T = len(LENGTHS), int(LENGTHS.max()), 5
    source = torch.randint(4, 11, (B, S), generator=generator)
    source = source * (torch.arange(S)[None, :] < LENGTHS[:, None])
    target_out = torch.randint(4, target_vocab, (B, T), generator=generator)
    target_out[1, 3:] = 0  # a shorter target: padding must not count
    target_in = torch.cat([torch.full((B, 1), START), target_out[:, :-1]], dim=1)
    return {"source": source, "source_lengths": LENGTHS, "target_in": target_in,
            "target_out": target_out}


def torch_model(tie: bool, shared: bool, dtype: torch.dtype) -> TransformerSeq2Seq:
    torch.manual_seed(0)
    config = TransformerConfig(model_size=E, heads=HEADS, ff_size=FF, encoder_layers=LAYERS,
                               decoder_layers=LAYERS, dropout=0.0, max_positions=16,
                               tie_embeddings=tie)
    model = TransformerSeq2Seq(*vocab_sizes(shared), config, shared_vocabulary=shared)
    with torch.no_grad():  # nonzero biases and non-identity norms: every mapping is tested
        for name, param in model.named_parameters():
            if "bias" in name or "norm" in name:
                param.uniform_(-0.5, 0.5)
    return model.to(dtype)


def numpy_twin(model: TransformerSeq2Seq, tie: bool, shared: bool, dtype) -> NumpyTransformer:
    twin = NumpyTransformer(*vocab_sizes(shared), E, HEADS, FF, LAYERS, LAYERS, 16, tie, shared,
                            dtype=dtype)
    state = {name: value.detach().numpy() for name, value in model.state_dict().items()}
    twin.load_state_dict(from_torch_layout(state, list(twin.state_dict()), dtype))
    return twin


@pytest.mark.parametrize("tie, shared", KINDS, ids=IDS)
@pytest.mark.parametrize("dtype, tolerance", [(np.float64, 1e-9), (np.float32, 1e-5)],
                         ids=["float64", "float32"])
def test_same_logits_and_gradients(tie, shared, dtype, tolerance):
    model = torch_model(tie, shared, torch.float64 if dtype == np.float64 else torch.float32)
    twin = numpy_twin(model, tie, shared, dtype)
    data = batch(vocab_sizes(shared)[1])
    logits = model(data["source"], data["source_lengths"], data["target_in"])
    F.cross_entropy(logits.flatten(0, 1), data["target_out"].flatten(),
                    ignore_index=0).backward()
    arrays = {name: value.numpy() for name, value in data.items()}
    numpy_logits = twin.forward(arrays["source"], arrays["source_lengths"], arrays["target_in"])
    assert numpy_logits.dtype == dtype
    np.testing.assert_allclose(numpy_logits, logits.detach().numpy(), atol=tolerance, rtol=0)
    loss = TimeSoftmaxWithLoss()
    loss.forward(numpy_logits, arrays["target_out"])
    twin.backward(loss.backward())
    numpy_grads = to_torch_layout(dict(zip(twin.state_dict(), twin.grads, strict=True)))
    torch_grads = {name: param.grad.numpy() for name, param in model.named_parameters()}
    assert numpy_grads.keys() == torch_grads.keys()
    for name, grad in torch_grads.items():
        np.testing.assert_allclose(numpy_grads[name], grad, atol=tolerance, rtol=0,
                                   err_msg=name)


@pytest.mark.parametrize("tie, shared", KINDS, ids=IDS)
def test_same_greedy_outputs(tie, shared):
    model = torch_model(tie, shared, torch.float64).eval()
    twin = numpy_twin(model, tie, shared, np.float64)
    data = batch(vocab_sizes(shared)[1])
    found = greedy_search(model, data["source"], data["source_lengths"], START, END, 7)
    ids = twin.generate(data["source"].numpy(), data["source_lengths"].numpy(), START, 7)
    for hypothesis, row in zip(found, ids.tolist(), strict=True):
        assert hypothesis.tokens == row[: len(hypothesis.tokens)]


def test_weights_round_trip_and_a_misfit_names_the_keys():
    model = torch_model(True, False, torch.float32)
    twin = numpy_twin(model, True, False, np.float32)
    back = to_torch_layout(twin.state_dict())
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(back[name], value.numpy(), err_msg=name)
    untied = NumpyTransformer(11, 13, E, HEADS, FF, LAYERS, LAYERS, 16, tie_embeddings=False)
    with pytest.raises(AttnkitError, match="decoder.output.weight"):
        from_torch_layout(back, list(untied.state_dict()))


def test_numpy_trainer_learns_a_few_dozen_date_pairs():
    data = {name: value.numpy() for name, value in date_batch().items()}
    # small enough that threaded OpenBLAS keeps to one thread: on busy shared cores its threads
    # wait for each other, and a 32-wide model trains 8x slower than with OPENBLAS_NUM_THREADS=1
    model = NumpyTransformer(len(VOCAB), len(VOCAB), 16, 4, 32, 1, 1, 64, shared_vocabulary=True,
                             seed=0)
    trainer = Trainer(model, Adam(lr=5e-3), grad_clip=1.0)
    for step in range(1, 401):  # 175 steps when written
        trainer.train_step(data)
        if step % 25 == 0:
            ids = model.generate(data["source"], data["source_lengths"], VOCAB.start_id, 12,
                                 VOCAB.end_id)
            outputs = [VOCAB.decode(row) for row in ids.tolist()]
            if outputs == TARGETS:
                break
    assert outputs == TARGETS
