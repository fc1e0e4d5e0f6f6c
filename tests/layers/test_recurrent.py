"""MaskedRNN against the packed reference (nn.LSTM/nn.GRU + pack_padded_sequence, same weights)."""

import pytest
import torch

import attnkit.layers.recurrent as recurrent
from attnkit.errors import AttnkitError
from attnkit.layers import MaskedRNN, lengths_to_mask
from attnkit.layers.recurrent import packed_forward

from ..threads import one_thread


@pytest.fixture(autouse=True)
def single_thread():
    """Exactness, not speed, is tested here: one thread keeps these small runs fast on a busy
    machine, where two OpenMP threads on tiny per-step kernels can take 10-100x longer."""
    with one_thread():
        yield


CONFIGS = [(mode, layers, bidirectional)
           for mode in ("lstm", "gru") for layers in (1, 2) for bidirectional in (False, True)]


def as_tuple(state):
    return state if isinstance(state, tuple) else (state,)


def outputs_states_gradients(run, model, inputs, lengths, probes):
    """Run, reduce outputs and final states with fixed random probes, return values and grads."""
    outputs, state = run(inputs, lengths)
    state = as_tuple(state)
    loss = (outputs * probes[0]).sum()
    loss = loss + sum((s * p).sum() for s, p in zip(state, probes[1:], strict=True))
    parameters = list(model.parameters())
    gradients = torch.autograd.grad(loss, [inputs, *parameters])
    return [outputs.detach(), *[s.detach() for s in state]], list(gradients)


def compare_with_packed(mode, layers, bidirectional, dtype, B, S, E, H, atol, seed=0, rtol=0.0):
    torch.manual_seed(seed)
    model = MaskedRNN(mode, E, H, layers, bidirectional).to(dtype)
    inputs = torch.randn(B, S, E, dtype=dtype, requires_grad=True)
    lengths = torch.randint(1, S + 1, (B,))
    lengths[0], lengths[1] = 1, S  # always cover the extremes
    D = 2 if bidirectional else 1
    probes = [torch.randn(B, S, D * H, dtype=dtype)]
    state_count = 2 if mode == "lstm" else 1
    probes += [torch.randn(layers * D, B, H, dtype=dtype) for _ in range(state_count)]

    values, gradients = outputs_states_gradients(model, model, inputs, lengths, probes)
    reference = lambda x, n: packed_forward(model.rnn, x, n)  # noqa: E731
    ref_values, ref_gradients = outputs_states_gradients(reference, model, inputs, lengths, probes)

    for got, expected in zip(values + gradients, ref_values + ref_gradients, strict=True):
        assert got.shape == expected.shape
        torch.testing.assert_close(got, expected, rtol=rtol, atol=atol)
    mask = lengths_to_mask(lengths, S)
    assert torch.equal(values[0][~mask], torch.zeros_like(values[0][~mask]))
    assert torch.equal(gradients[0][~mask], torch.zeros_like(gradients[0][~mask]))


@pytest.mark.parametrize(("mode", "layers", "bidirectional"), CONFIGS)
def test_equals_packed_reference_float64(mode, layers, bidirectional):
    compare_with_packed(mode, layers, bidirectional, torch.float64,
                        B=6, S=9, E=3, H=4, atol=1e-10)


@pytest.mark.parametrize("mode", ["lstm", "gru"])
def test_equals_packed_reference_float32_fused_kernel(mode):
    # float32 on CPU takes the oneDNN kernel that the speed comes from; its sums run in another
    # order than the packed path's, so gradients of size ~4 differ by a few float32 ulps
    # (torch 2.13: 1.1e-5 absolute, 3e-6 relative): allow that relative error too
    compare_with_packed(mode, 2, True, torch.float32, B=12, S=40, E=16, H=32, atol=1e-5,
                        rtol=1e-5)


def test_padding_content_is_ignored():
    torch.manual_seed(1)
    model = MaskedRNN("lstm", 5, 6, 2, True)
    inputs = torch.randn(4, 8, 5)
    lengths = torch.tensor([8, 3, 1, 5])
    noisy = inputs.clone()
    noisy[~lengths_to_mask(lengths, 8)] = 1e3
    outputs, (h_n, c_n) = model(inputs, lengths)
    noisy_outputs, (noisy_h, noisy_c) = model(noisy, lengths)
    for got, expected in ((noisy_outputs, outputs), (noisy_h, h_n), (noisy_c, c_n)):
        torch.testing.assert_close(got, expected, rtol=0, atol=1e-6)


def test_appending_padding_changes_nothing():
    torch.manual_seed(2)
    model = MaskedRNN("gru", 5, 6, 2, True)
    inputs = torch.randn(3, 6, 5)
    lengths = torch.tensor([6, 2, 4])
    outputs, h_n = model(inputs, lengths)
    longer, longer_h = model(torch.cat([inputs, torch.randn(3, 4, 5)], dim=1), lengths)
    torch.testing.assert_close(longer[:, :6], outputs, rtol=0, atol=1e-6)
    assert torch.equal(longer[:, 6:], torch.zeros_like(longer[:, 6:]))
    torch.testing.assert_close(longer_h, h_n, rtol=0, atol=1e-6)


def test_cpu_path_never_packs(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the CPU path must not pack")

    monkeypatch.setattr(recurrent, "pack_padded_sequence", refuse)
    model = MaskedRNN("lstm", 3, 4, 1, True)
    outputs, _ = model(torch.randn(2, 5, 3), torch.tensor([5, 2]))
    assert outputs.shape == (2, 5, 8)


def test_state_dict_and_initialisation_are_those_of_nn_lstm():
    torch.manual_seed(3)
    model = MaskedRNN("lstm", 3, 4, 2, True, dropout=0.1)
    torch.manual_seed(3)
    plain = torch.nn.LSTM(3, 4, 2, batch_first=True, dropout=0.1, bidirectional=True)
    state = model.state_dict()
    assert list(state) == ["rnn." + name for name in plain.state_dict()]
    for name, value in plain.state_dict().items():
        assert torch.equal(state["rnn." + name], value)
    assert model.output_size == 8


def test_dropout_between_layers_only_in_training():
    torch.manual_seed(4)
    model = MaskedRNN("lstm", 3, 8, 2, False, dropout=0.5)
    inputs, lengths = torch.randn(4, 6, 3), torch.tensor([6, 4, 2, 1])
    model.eval()
    first, _ = model(inputs, lengths)
    second, _ = model(inputs, lengths)
    assert torch.equal(first, second)
    reference, _ = packed_forward(model.rnn, inputs, lengths)
    torch.testing.assert_close(first, reference, rtol=0, atol=1e-5)
    model.train()
    dropped, _ = model(inputs, lengths)
    assert not torch.allclose(dropped, first)
    padding = ~lengths_to_mask(lengths, 6)
    assert torch.equal(dropped[padding], torch.zeros_like(dropped[padding]))


def test_mistakes_raise_clear_errors():
    with pytest.raises(AttnkitError, match="mode"):
        MaskedRNN("transformer", 3, 4)
    with pytest.raises(AttnkitError, match="hidden_size"):
        MaskedRNN("lstm", 3, 0)
    model = MaskedRNN("gru", 3, 4)
    inputs = torch.randn(2, 5, 3)
    with pytest.raises(AttnkitError, match=r"\[1, 5\]"):
        model(inputs, torch.tensor([5, 0]))
    with pytest.raises(AttnkitError, match=r"\[1, 5\]"):
        model(inputs, torch.tensor([6, 2]))
    with pytest.raises(AttnkitError, match="integer"):
        model(inputs, torch.tensor([5.0, 2.0]))
    with pytest.raises(AttnkitError, match="shape"):
        model(torch.randn(2, 5, 4), torch.tensor([5, 2]))
    with pytest.raises(NotImplementedError, match="zero state"):
        model(inputs, torch.tensor([5, 2]), state=torch.zeros(1, 2, 4))
