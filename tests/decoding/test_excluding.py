import torch

from attnkit.decoding import ExcludingDecoder, beam_search
from attnkit.models.img2seq import Img2Seq, Img2SeqConfig

SMALL = dict(image_size=32, encoder_channels=(4, 8), projection_size=8, embedding_size=4,
             hidden_size=8, attention_units=4, output_size=8)


def model_and_images():
    torch.manual_seed(0)
    model = Img2Seq(9, Img2SeqConfig(**SMALL)).eval()
    return model, torch.randint(0, 256, (3, 32, 32), dtype=torch.uint8)


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
