"""Attention layers, masks, attention pooling and the masked recurrent encoder.

Every attention returns (context, weights).
"""

from attnkit.layers.additive import AdditiveAttention
from attnkit.layers.attention import Attention
from attnkit.layers.factory import ATTENTION_KINDS, build_attention
from attnkit.layers.luong import ConcatAttention, DotAttention, GeneralAttention
from attnkit.layers.masks import lengths_to_mask, masked_softmax
from attnkit.layers.multihead import MultiHeadAttention
from attnkit.layers.pooling import AttentionPooling
from attnkit.layers.recurrent import MaskedRNN
from attnkit.layers.scaled_dot import (
    ScaledDotAttention,
    fused_scaled_dot_product,
    scaled_dot_product,
)

__all__ = [
    "ATTENTION_KINDS",
    "AdditiveAttention",
    "Attention",
    "AttentionPooling",
    "ConcatAttention",
    "DotAttention",
    "GeneralAttention",
    "MaskedRNN",
    "MultiHeadAttention",
    "ScaledDotAttention",
    "build_attention",
    "fused_scaled_dot_product",
    "lengths_to_mask",
    "masked_softmax",
    "scaled_dot_product",
]
