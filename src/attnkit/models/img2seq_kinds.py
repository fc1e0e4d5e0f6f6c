"""The two decoders an image-to-sequence recipe's `model` section may name, and the one builder.

`Img2SeqModelConfig` is the recurrent model's `Img2SeqConfig` (its fields, flat, as every earlier
checkpoint stores them) plus `decoder` and the Transformer decoder's own sizes (`transformer:`).
`decoder: recurrent` is the GRU (or LSTM, `rnn`) with attention over the grid (`Img2Seq`);
`decoder: transformer` is `Img2SeqTransformer`. Both share the CNN encoder settings
(`image_size`, `encoder_channels`, `blocks_per_stage`), the projection of the grid
(`projection_size`, which is the Transformer's width, and `projection_dropout`) and the
training-only `cell_head`. A section without `decoder` is recurrent, so old recipes and
checkpoints read as they did. The recurrent decoder's own fields (`embedding_size`,
`hidden_size`, `rnn`, `attention`, `attention_units`, `output_size`, `output_dropout`) are not
read by the Transformer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from attnkit.errors import AttnkitError
from attnkit.models.img2seq import Img2Seq, Img2SeqConfig
from attnkit.models.img2seq_transformer import Img2SeqTransformer, Img2SeqTransformerConfig
from attnkit.models.sizes import check_sizes

DecoderKind = Literal["recurrent", "transformer"]
ImageToSequence = Img2Seq | Img2SeqTransformer  # either: the same forward and step interface


@dataclass(frozen=True)
class TransformerDecoderSizes:
    """The Transformer decoder of `decoder: transformer`: `layers` pre-norm layers of `heads`
    heads (which must divide `projection_size`) and a feed-forward layer of `ff_size`;
    `dropout` in every layer; `tie_embeddings` scores the vocabulary with the embedding table."""

    heads: int = 4
    ff_size: int = 1024
    layers: int = 3
    dropout: float = 0.1
    tie_embeddings: bool = True

    def __post_init__(self) -> None:
        check_sizes(self, ("ff_size",), ("heads", "layers"))
        if not 0 <= self.dropout < 1:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")


@dataclass(frozen=True)
class Img2SeqModelConfig(Img2SeqConfig):
    """The img2seq recipe's model section (see the module docstring)."""

    decoder: DecoderKind = "recurrent"
    transformer: TransformerDecoderSizes = field(default_factory=TransformerDecoderSizes)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.decoder == "transformer" and self.projection_size % self.transformer.heads:
            raise ValueError(f"projection_size {self.projection_size} (the Transformer's width) "
                             f"is not divisible by transformer.heads={self.transformer.heads}")


def transformer_config(config: Img2SeqModelConfig, max_length: int) -> Img2SeqTransformerConfig:
    """The Transformer reader a model section describes, for outputs of at most `max_length`
    tokens (the end token included: the decoder reads `<s>` and the tokens before the last)."""
    sizes = config.transformer
    try:
        return Img2SeqTransformerConfig(
            image_size=config.image_size, encoder_channels=config.encoder_channels,
            blocks_per_stage=config.blocks_per_stage, model_size=config.projection_size,
            projection_dropout=config.projection_dropout, heads=sizes.heads,
            ff_size=sizes.ff_size, decoder_layers=sizes.layers, dropout=sizes.dropout,
            max_positions=max_length, tie_embeddings=sizes.tie_embeddings,
            cell_head=config.cell_head)
    except ValueError as error:
        raise AttnkitError(f"model: {error}") from None


def build_img2seq(vocab_size: int, config: Img2SeqConfig, max_length: int) -> ImageToSequence:
    """The model of `config.decoder` (a plain `Img2SeqConfig` is recurrent), untrained."""
    if getattr(config, "decoder", "recurrent") == "transformer":
        return Img2SeqTransformer(vocab_size, transformer_config(config, max_length))
    return Img2Seq(vocab_size, config)
