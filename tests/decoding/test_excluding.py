import torch

from attnkit.decoding import ExcludingDecoder, beam_search

from ..models.tiny_img2seq import model_and_images


def test_excluded_outputs_cannot_end_so_search_finds_the_next_best():
    model, images = model_and_images()
    lengths = torch.full((3,), model.positions)
    first = beam_search(model, images, lengths, 2, 3, 6, beam_width=3)
    excluded = [{tuple(h.tokens)} for h in first]
    again = beam_search(ExcludingDecoder(model, excluded, 3), images, lengths, 2, 3, 6,
                        beam_width=3)
    for before, after in zip(first, again, strict=True):
        if after.finished:
            assert after.tokens != before.tokens
            # ranked by score / length (end token counted): the next best cannot rank higher
            assert after.score / (len(after.tokens) + 1) <= \
                before.score / (len(before.tokens) + 1) + 1e-5
