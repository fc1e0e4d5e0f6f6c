from attnkit.pipelines.img2seq.recipe import DecodeConfig
from attnkit.pipelines.img2seq.search import search_images

from ...models.tiny_img2seq import model_and_images


def test_prefer_valid_keeps_the_best_output_that_passes_the_check():
    model, images = model_and_images()
    decode = DecodeConfig(beam_width=3, prefer_valid=True, valid_retries=2)
    plain = [best for best, _ in search_images(model, images, DecodeConfig(beam_width=3), 2, 3,
                                               6)]
    banned = {tuple(h.tokens) for h in plain}
    chosen = [best for best, _ in search_images(model, images, decode, 2, 3, 6,
                                                lambda ids: tuple(ids) not in banned)]
    for before, after in zip(plain, chosen, strict=True):
        assert tuple(after.tokens) not in banned or after.tokens == before.tokens
    assert any(a.tokens != b.tokens for a, b in zip(plain, chosen, strict=True))
