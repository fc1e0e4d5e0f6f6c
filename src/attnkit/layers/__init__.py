"""Attention layers, masks, attention pooling, the masked recurrent encoder and the Transformer's
blocks (positions, token embedding, feed-forward, pre-norm encoder and decoder layers).

Every attention returns (context, weights).
"""

from attnkit.layers.additive import AdditiveAttention
from attnkit.layers.attention import Attention
from attnkit.layers.factory import ATTENTION_KINDS, build_attention
from attnkit.layers.feed_forward import PositionwiseFeedForward
from attnkit.layers.luong import ConcatAttention, DotAttention, GeneralAttention
from attnkit.layers.masks import lengths_to_mask, masked_softmax
from attnkit.layers.multihead import MultiHeadAttention
from attnkit.layers.pooling import AttentionPooling
from attnkit.layers.positions import SinusoidalPositions, sinusoidal_positions
from attnkit.layers.recurrent import MaskedRNN
from attnkit.layers.scaled_dot import (
    ScaledDotAttention,
    fused_scaled_dot_product,
    scaled_dot_product,
)
from attnkit.layers.token_embedding import TokenEmbedding
from attnkit.layers.transformer_decoder_layer import LayerCache, TransformerDecoderLayer
from attnkit.layers.transformer_encoder_layer import TransformerEncoderLayer

__all__ = [
    "ATTENTION_KINDS",
    "AdditiveAttention",
    "Attention",
    "AttentionPooling",
    "ConcatAttention",
    "DotAttention",
    "GeneralAttention",
    "LayerCache",
    "MaskedRNN",
    "MultiHeadAttention",
    "PositionwiseFeedForward",
    "ScaledDotAttention",
    "SinusoidalPositions",
    "TokenEmbedding",
    "TransformerDecoderLayer",
    "TransformerEncoderLayer",
    "build_attention",
    "fused_scaled_dot_product",
    "lengths_to_mask",
    "masked_softmax",
    "scaled_dot_product",
    "sinusoidal_positions",
]
