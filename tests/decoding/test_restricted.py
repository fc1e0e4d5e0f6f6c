import torch

from attnkit.decoding import GrammarDecoder, SearchConfig, search

from ..models.tiny_img2seq import model_and_images

# An untrained model over tokens 0..8 (2 = start, 3 = end) may write only 4 5 6 or 7 4.
ALLOWED = {(): [4, 7], (4,): [5], (4, 5): [6], (4, 5, 6): [3], (7,): [4], (7, 4): [3]}


def test_search_finds_only_what_the_grammar_allows():
    model, images = model_and_images()
    lengths = torch.full((3,), model.positions)
    decoder = GrammarDecoder(model, lambda prefix: ALLOWED.get(prefix, []), end_id=3)
    for beam in (1, 3):
        found = search(decoder, images, lengths, 2, 3, 8, SearchConfig(beam_width=beam))
        assert all(h.finished and tuple(h.tokens) in {(4, 5, 6), (7, 4)} for h in found)
    free = search(model, images, lengths, 2, 3, 8, SearchConfig())
    assert any(tuple(h.tokens) not in {(4, 5, 6), (7, 4)} for h in free)  # it needed the grammar


def test_allowed_tokens_keep_their_log_probabilities():
    """The grammar only takes choices away: an allowed token scores as it did."""
    model, images = model_and_images()
    lengths = torch.full((3,), model.positions)
    memory = model.encode(images, lengths)
    start = torch.full((3,), 2)
    free, _, _ = model.decode_step(start, model.initial_state(memory), memory)
    decoder = GrammarDecoder(model, lambda prefix: ALLOWED.get(prefix, []), end_id=3)
    wrapped = decoder.encode(images, lengths)
    restricted, _, _ = decoder.decode_step(start, decoder.initial_state(wrapped), wrapped)
    torch.testing.assert_close(restricted[:, [4, 7]], free[:, [4, 7]])
    assert torch.isinf(restricted[:, [0, 1, 3, 5, 6, 8]]).all()
