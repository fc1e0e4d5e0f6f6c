"""The Transformer encoder-decoder: shapes and names, padding, incremental decoding equal to the
teacher-forced pass, and a tiny overfit on which greedy and beam search run unchanged."""

import pytest
import torch

from attnkit.decoding import beam_search
from attnkit.errors import AttnkitError
from attnkit.models.transformer_seq2seq import TransformerConfig, TransformerSeq2Seq

from .transformer_overfit import SOURCES, TARGETS, VOCAB, date_batch, greedy_texts, overfit

SMALL = TransformerConfig(model_size=16, heads=2, ff_size=24, encoder_layers=2,
                          decoder_layers=2, dropout=0.0, max_positions=32)
LENGTHS = torch.tensor([6, 2, 4])


@pytest.fixture(autouse=True)
def _single_thread(one_thread):
    yield


def batch(seed: int = 0, V: int = 11):
    generator = torch.Generator().manual_seed(seed)
    source = torch.randint(4, V, (3, 6), generator=generator)
    source[torch.arange(6)[None, :] >= LENGTHS[:, None]] = 0
    return source, LENGTHS, torch.randint(4, V, (3, 5), generator=generator)


def small(shared: bool = False, **options) -> TransformerSeq2Seq:
    torch.manual_seed(0)
    config = TransformerConfig(**{**SMALL.__dict__, **options})
    return TransformerSeq2Seq(11, 11 if shared else 13, config, shared_vocabulary=shared).eval()


def test_tied_embeddings_exist_once():
    untied = {name for name, _ in small(tie_embeddings=False).named_parameters()}
    tied = {name for name, _ in small().named_parameters()}
    shared = {name for name, _ in small(shared=True).named_parameters()}
    assert untied - tied == {"decoder.output.weight"}
    assert tied - shared == {"source_embedding.weight"}
    model = small(shared=True)
    assert len(model.state_dict()) == len(dict(model.named_parameters()))  # no duplicate key


def test_padding_changes_nothing_and_padded_keys_get_zero_weight():
    model = small()
    source, lengths, target_in = batch()
    logits = model(source, lengths, target_in)
    assert logits.shape == (3, 5, 13)
    longer = torch.cat([source, torch.full((3, 3), 7)], dim=1)  # junk after each length
    torch.testing.assert_close(model(longer, lengths, target_in), logits)
    maps = model.attention(source, lengths, target_in)
    padded = torch.arange(6)[None, :] >= lengths[:, None]  # (B, S)
    assert maps.encoder.shape == (3, 2, 2, 6, 6) and maps.decoder.shape == (3, 2, 2, 5, 5)
    assert maps.cross.shape == (3, 2, 2, 5, 6)
    assert (maps.cross.masked_select(padded[:, None, None, None, :]) == 0).all()
    assert (maps.encoder.masked_select(padded[:, None, None, None, :]) == 0).all()
    torch.testing.assert_close(maps.cross.sum(-1), torch.ones(3, 2, 2, 5))


def test_decode_steps_with_the_cache_equal_the_teacher_forced_pass():
    model = small()
    source, lengths, target_in = batch()
    logits = model(source, lengths, target_in)
    cross = model.attention(source, lengths, target_in).cross[:, -1].mean(dim=1)  # (B, T, S)
    memory = model.encode(source, lengths)
    state = model.initial_state(memory)
    for t in range(5):
        log_probs, state, weights = model.decode_step(target_in[:, t], state, memory)
        torch.testing.assert_close(log_probs, torch.log_softmax(logits[:, t], -1))
        torch.testing.assert_close(weights, cross[:, t])
        assert (weights[1, 2:] == 0).all()
    # rows picked, repeated and reordered by the search keep their own cache and memory
    rows = torch.tensor([2, 0, 2])
    picked, _, _ = model.decode_step(target_in[rows, 0], model.select_state(
        model.initial_state(memory), rows), model.select_memory(memory, rows))
    torch.testing.assert_close(picked, torch.log_softmax(logits[rows, 0], -1))


def test_too_long_a_target_is_a_user_error():
    model = small(max_positions=4)
    source, lengths, target_in = batch()
    with pytest.raises(AttnkitError, match="max_positions=4"):
        model(source[:, :4], lengths.clamp(max=4), target_in)


@pytest.mark.parametrize("options", [dict(heads=3), dict(dropout=1.0), dict(encoder_layers=0)])
def test_bad_configs_fail_at_construction(options):
    with pytest.raises(ValueError):
        TransformerConfig(**{**SMALL.__dict__, **options})


@pytest.fixture(scope="module")
def trained(one_thread):
    torch.manual_seed(0)
    model = TransformerSeq2Seq(len(VOCAB), len(VOCAB), TransformerConfig(
        model_size=32, heads=4, ff_size=64, encoder_layers=1, decoder_layers=1, dropout=0.0,
        max_positions=64), shared_vocabulary=True)
    data = date_batch()
    outputs = overfit(model, data, steps=400)  # 150 steps when written
    return model.eval(), data, outputs


def test_tiny_overfit_learns_a_few_dozen_pairs(trained):
    _, _, outputs = trained
    wrong = [(s, o) for s, o, t in zip(SOURCES, outputs, TARGETS, strict=True) if o != t]
    assert outputs == TARGETS, wrong


def test_greedy_through_the_cache_is_the_argmax_of_the_full_pass(trained):
    model, data, _ = trained
    found = [VOCAB.encode(text) + [VOCAB.end_id] for text in greedy_texts(model, data)]
    target_in = torch.tensor([[VOCAB.start_id] + ids[:-1] for ids in found])
    logits = model(data["source"], data["source_lengths"], target_in)
    assert logits.argmax(-1).tolist() == found


def test_beam_search_runs_and_agrees_on_the_learnt_pairs(trained):
    model, data, _ = trained
    found = beam_search(model, data["source"], data["source_lengths"], VOCAB.start_id,
                        VOCAB.end_id, 12, beam_width=3)
    assert [VOCAB.decode(h.tokens) for h in found] == TARGETS
    lengths = data["source_lengths"].tolist()
    for hypothesis, length in zip(found, lengths, strict=True):
        assert hypothesis.attention.shape == (len(hypothesis.tokens), length)
