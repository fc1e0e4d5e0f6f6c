"""The NumPy engine: the book's from-scratch layers (params, grads, forward, backward), the same
seq2seq models as `attnkit.models.seq2seq` under the same class names, optimisers and a trainer.
Imports only NumPy (and safetensors' NumPy API for checkpoints)."""

from attnkit.numpy_ref.attention import (
    Attention,
    AttentionWeight,
    StepwiseTimeAttention,
    TimeAttention,
    WeightSum,
)
from attnkit.numpy_ref.attention_seq2seq import (
    AttentionDecoder,
    AttentionEncoder,
    AttentionSeq2seq,
)
from attnkit.numpy_ref.layers import (
    Affine,
    Embedding,
    Softmax,
    TimeAffine,
    TimeSoftmaxWithLoss,
)
from attnkit.numpy_ref.recurrent import LSTM, TimeBiLSTM, TimeLSTM
from attnkit.numpy_ref.seq2seq import Decoder, Encoder, PeekyDecoder, PeekySeq2seq, Seq2seq

__all__ = [
    "LSTM",
    "Affine",
    "Attention",
    "AttentionDecoder",
    "AttentionEncoder",
    "AttentionSeq2seq",
    "AttentionWeight",
    "Decoder",
    "Embedding",
    "Encoder",
    "PeekyDecoder",
    "PeekySeq2seq",
    "Seq2seq",
    "Softmax",
    "StepwiseTimeAttention",
    "TimeAffine",
    "TimeAttention",
    "TimeBiLSTM",
    "TimeLSTM",
    "TimeSoftmaxWithLoss",
    "WeightSum",
]
