"""The GNMT-style residual LSTM encoder-decoder against a step-by-step reference written from its
definition (plain LSTMs on each unpadded sequence, residuals where GNMT puts them), padding,
the search interface, and a tiny overfit."""

import pytest
import torch
from torch import nn

from attnkit.decoding import beam_search
from attnkit.models.residual_lstm_seq2seq import ResidualLSTMConfig, ResidualLSTMSeq2Seq

from .transformer_overfit import TARGETS, VOCAB, date_batch, overfit

LENGTHS = torch.tensor([6, 2, 4])


@pytest.fixture(autouse=True)
def _single_thread(one_thread):
    yield


def batch(seed: int = 0):
    generator = torch.Generator().manual_seed(seed)
    source = torch.randint(4, 11, (3, 6), generator=generator)
    source[torch.arange(6)[None, :] >= LENGTHS[:, None]] = 0
    return source, LENGTHS, torch.randint(4, 13, (3, 5), generator=generator)


def small(**options) -> ResidualLSTMSeq2Seq:
    torch.manual_seed(0)
    config = ResidualLSTMConfig(**{**dict(embedding_size=6, hidden_size=8, encoder_layers=3,
                                          decoder_layers=3, dropout=0.0, attention="dot",
                                          attention_units=4), **options})
    return ResidualLSTMSeq2Seq(11, 13, config).eval()


def as_cell(lstm: nn.LSTM) -> nn.LSTMCell:
    cell = nn.LSTMCell(lstm.input_size, lstm.hidden_size)
    cell.load_state_dict({name[:-3]: value for name, value in lstm.state_dict().items()})
    return cell


def reference_logits(model, source, lengths, target_in, residual_from):
    """One sequence at a time, one step at a time, from the definition (dot attention)."""
    rows = []
    cells = [as_cell(lstm) for lstm in model.decoder.layers]
    for b in range(source.shape[0]):
        states = model.encoder.embedding(source[b : b + 1, : int(lengths[b])])
        for number, layer in enumerate(model.encoder.layers, start=1):
            outputs, _ = layer.rnn(states)  # the plain (bi)LSTM, no padding at all
            states = outputs + states if number >= residual_from else outputs
        keys = states[0]
        hidden = [torch.zeros(1, 8) for _ in cells]
        memory = [torch.zeros(1, 8) for _ in cells]
        steps = []
        for token in target_in[b]:
            inputs = model.decoder.embedding(token.view(1))
            for number, cell in enumerate(cells, start=1):
                if number == 1:
                    hidden[0], memory[0] = cell(inputs, (hidden[0], memory[0]))
                    below = hidden[0]
                    context = (torch.softmax(keys @ below[0], dim=0) @ keys).unsqueeze(0)
                    continue
                state = cell(torch.cat([below, context], dim=1), (hidden[number - 1],
                                                                   memory[number - 1]))
                hidden[number - 1], memory[number - 1] = state
                below = state[0] + below if number >= residual_from else state[0]
            steps.append(model.decoder.output(torch.cat([context, below], dim=1))[0])
        rows.append(torch.stack(steps))
    return torch.stack(rows)


@pytest.mark.parametrize("residual_from", [2, 3])
def test_matches_the_definition_step_by_step(residual_from):
    model = small(residual_from=residual_from)
    source, lengths, target_in = batch()
    expected = reference_logits(model, source, lengths, target_in, residual_from)
    torch.testing.assert_close(model(source, lengths, target_in), expected)


def test_residuals_change_the_model():
    source, lengths, target_in = batch()
    with_residual = small(residual_from=2)(source, lengths, target_in)
    assert not torch.allclose(with_residual, small(residual_from=4)(source, lengths, target_in))


def test_padding_and_the_search_interface():
    model = small(attention="additive")
    source, lengths, target_in = batch()
    logits = model(source, lengths, target_in)
    longer = torch.cat([source, torch.full((3, 3), 5)], dim=1)
    torch.testing.assert_close(model(longer, lengths, target_in), logits)
    memory = model.encode(source, lengths)
    state = model.initial_state(memory)
    for t in range(5):
        log_probs, state, weights = model.decode_step(target_in[:, t], state, memory)
        torch.testing.assert_close(log_probs, torch.log_softmax(logits[:, t], -1))
        assert (weights[1, 2:] == 0).all() and (weights[2, 4:] == 0).all()
    rows = torch.tensor([1, 1, 0])
    picked, _, _ = model.decode_step(target_in[rows, 0], model.select_state(
        model.initial_state(memory), rows), model.select_memory(memory, rows))
    torch.testing.assert_close(picked, torch.log_softmax(logits[rows, 0], -1))


def test_one_layer_each_side_and_bad_configs():
    model = small(encoder_layers=1, decoder_layers=1)
    source, lengths, target_in = batch()
    assert model(source, lengths, target_in).shape == (3, 5, 13)
    assert model.encode(source, lengths).final_hidden.shape == (1, 3, 8)
    with pytest.raises(ValueError, match="residual_from"):
        ResidualLSTMConfig(residual_from=1)
    with pytest.raises(ValueError, match="even"):
        ResidualLSTMConfig(hidden_size=7)


def test_tiny_overfit_and_beam_search():
    torch.manual_seed(0)
    model = ResidualLSTMSeq2Seq(len(VOCAB), len(VOCAB), ResidualLSTMConfig(
        embedding_size=32, hidden_size=64, encoder_layers=3, decoder_layers=3, dropout=0.0,
        attention_units=32))
    data = date_batch()
    assert overfit(model, data, steps=400, lr=1e-2) == TARGETS  # within 100 steps when written
    found = beam_search(model, data["source"], data["source_lengths"], VOCAB.start_id,
                        VOCAB.end_id, 12, beam_width=3)
    assert [VOCAB.decode(h.tokens) for h in found] == TARGETS
