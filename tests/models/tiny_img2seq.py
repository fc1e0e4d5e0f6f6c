"""A small untrained image-to-sequence model and random images, for search tests."""

import torch

from attnkit.models.img2seq import Img2Seq, Img2SeqConfig

SMALL = dict(image_size=32, encoder_channels=(4, 8), projection_size=8, embedding_size=4,
             hidden_size=8, attention_units=4, output_size=8)


def model_and_images() -> tuple[Img2Seq, torch.Tensor]:
    torch.manual_seed(0)
    model = Img2Seq(9, Img2SeqConfig(**SMALL)).eval()
    return model, torch.randint(0, 256, (3, 32, 32), dtype=torch.uint8)
