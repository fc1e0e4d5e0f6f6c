import pytest
import torch
from torch import nn

from attnkit.models.seq2seq import AttentionSeq2seq, Seq2seqConfig, build_seq2seq

V = 12


def batch(seed=0, B=3, S=6, T=5):
    generator = torch.Generator().manual_seed(seed)
    lengths = torch.tensor([S, 2, 4][:B])
    source = torch.randint(4, V, (B, S), generator=generator)
    source[torch.arange(S)[None, :] >= lengths[:, None]] = 0
    return source, lengths, torch.randint(4, V, (B, T), generator=generator)


def small(kind, **options):
    torch.manual_seed(0)
    return build_seq2seq(V, Seq2seqConfig(kind=kind, embedding_size=4, hidden_size=8, **options))


def test_parameter_names_are_the_book_layout():
    model = small("attention")
    shapes = {name: tuple(p.shape) for name, p in model.named_parameters()}
    assert shapes == {
        "encoder.embedding.weight": (V, 4),
        "encoder.rnn.rnn.weight_ih_l0": (32, 4), "encoder.rnn.rnn.weight_hh_l0": (32, 8),
        "encoder.rnn.rnn.bias_ih_l0": (32,), "encoder.rnn.rnn.bias_hh_l0": (32,),
        "decoder.embedding.weight": (V, 4),
        "decoder.lstm.weight_ih_l0": (32, 4), "decoder.lstm.weight_hh_l0": (32, 8),
        "decoder.lstm.bias_ih_l0": (32,), "decoder.lstm.bias_hh_l0": (32,),
        "decoder.output.weight": (V, 16), "decoder.output.bias": (V,),
    }
    peeky = {n: tuple(p.shape) for n, p in small("peeky").named_parameters()}
    assert peeky["decoder.lstm.weight_ih_l0"] == (32, 12)
    assert peeky["decoder.output.weight"] == (V, 16)
    assert dict(small("plain").named_parameters())["decoder.output.weight"].shape == (V, 8)


def reference_attention_logits(model, source, lengths, target_in):
    """Step by step with explicit maths: h0 = encoder h at the last real token, c0 = 0,
    dot attention over real source positions, Linear over [context; lstm_out]."""
    encoder_lstm = nn.LSTM(4, 8, batch_first=True)
    encoder_lstm.load_state_dict(model.encoder.rnn.rnn.state_dict())
    cell = nn.LSTMCell(4, 8)
    cell.load_state_dict({k[:-3]: v for k, v in model.decoder.lstm.state_dict().items()})
    rows = []
    for b in range(source.shape[0]):
        n = int(lengths[b])
        outputs, (h, _) = encoder_lstm(model.encoder.embedding(source[b : b + 1, :n]))
        h, c = h[0], torch.zeros(1, 8)
        steps = []
        for token in target_in[b]:
            h, c = cell(model.decoder.embedding(token.view(1)), (h, c))
            weights = torch.softmax(outputs[0] @ h[0], dim=0)
            context = weights @ outputs[0]
            steps.append(model.decoder.output(torch.cat([context, h[0]])))
        rows.append(torch.stack(steps))
    return torch.stack(rows)


def test_attention_model_matches_step_by_step_reference():
    model = small("attention")
    source, lengths, target_in = batch()
    expected = reference_attention_logits(model, source, lengths, target_in)
    torch.testing.assert_close(model(source, lengths, target_in), expected, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("kind", ["plain", "peeky", "attention"])
@pytest.mark.parametrize("options", [{}, {"bidirectional": True, "num_layers": 2}])
def test_padding_does_not_change_logits(kind, options):
    model = small(kind, **options).eval()
    source, lengths, target_in = batch()
    longer = torch.cat([source, torch.zeros(3, 4, dtype=torch.long)], dim=1)
    logits = model(source, lengths, target_in)
    assert logits.shape == (3, 5, V)
    torch.testing.assert_close(model(longer, lengths, target_in), logits, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("kind", ["plain", "peeky", "attention"])
def test_decode_steps_equal_teacher_forcing(kind):
    model = small(kind, attention="general").eval()
    source, lengths, target_in = batch(seed=1)
    expected = torch.log_softmax(model(source, lengths, target_in), dim=-1)
    memory = model.encode(source, lengths)
    state = model.initial_state(memory)
    for t in range(target_in.shape[1]):
        log_probs, state, weights = model.decode_step(target_in[:, t], state, memory)
        torch.testing.assert_close(log_probs, expected[:, t], atol=1e-5, rtol=1e-5)
        if kind == "attention":
            assert weights.shape == (3, 6)
            assert torch.all(weights[1, 2:] == 0)
            torch.testing.assert_close(weights.sum(-1), torch.ones(3))


def test_bad_configs():
    with pytest.raises(ValueError, match="even hidden_size"):
        Seq2seqConfig(hidden_size=7, bidirectional=True)
    from attnkit.errors import AttnkitError
    with pytest.raises(AttnkitError, match="model.attention"):
        AttentionSeq2seq(V, Seq2seqConfig(attention="nope"))



def test_tiny_attention_model_overfits(one_thread):
    from attnkit.data.char_vocab import CharVocabulary
    from attnkit.data.dates import generate_date_pairs
    from attnkit.data.seq_batches import PairCollator, SequencePairs
    from attnkit.decoding import greedy_search

    sources, targets = generate_date_pairs(16, seed=5)
    vocab = CharVocabulary.build(sources + targets)
    data = SequencePairs(vocab, sources, targets)
    batch = PairCollator(vocab.start_id, vocab.end_id, True)([data[i] for i in range(16)])
    torch.manual_seed(0)
    model = build_seq2seq(len(vocab), Seq2seqConfig(embedding_size=16, hidden_size=32))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
    for _ in range(110):
        optimizer.zero_grad()
        logits = model(batch["source"], batch["source_lengths"], batch["target_in"])
        loss = nn.functional.cross_entropy(logits.flatten(0, 1), batch["target_out"].flatten(),
                                           ignore_index=0)
        loss.backward()
        optimizer.step()
    model.eval()
    found = greedy_search(model, batch["source"], batch["source_lengths"], vocab.start_id,
                          vocab.end_id, 12)
    assert [vocab.decode(h.tokens) for h in found] == targets
