import torch

from attnkit.models.img2seq import Img2Seq, Img2SeqConfig
from attnkit.pipelines.img2seq.predictor import search_images
from attnkit.pipelines.img2seq.recipe import DecodeConfig

SMALL = dict(image_size=32, encoder_channels=(4, 8), projection_size=8, embedding_size=4,
             hidden_size=8, attention_units=4, output_size=8)


def model_and_images():
    torch.manual_seed(0)
    model = Img2Seq(9, Img2SeqConfig(**SMALL)).eval()
    return model, torch.randint(0, 256, (3, 32, 32), dtype=torch.uint8)


def test_prefer_valid_keeps_the_best_output_that_passes_the_check():
    model, images = model_and_images()
    decode = DecodeConfig(beam_width=3, prefer_valid=True, valid_retries=2)
    plain = search_images(model, images, DecodeConfig(beam_width=3), 2, 3, 6)
    banned = {tuple(h.tokens) for h in plain}
    chosen = search_images(model, images, decode, 2, 3, 6, lambda ids: tuple(ids) not in banned)
    for before, after in zip(plain, chosen, strict=True):
        assert tuple(after.tokens) not in banned or after.tokens == before.tokens
    assert any(a.tokens != b.tokens for a, b in zip(plain, chosen, strict=True))
