"""The NumPy engine: the book's from-scratch layers (params, grads, forward, backward), the same
seq2seq models as `attnkit.models.seq2seq` under the same class names, optimisers and a trainer.
Imports only NumPy and `attnkit.errors`. Its models are saved and loaded through the torch side's
checkpoints (`pipelines.seq2seq.numpy_engine`): one format, one writer."""

from attnkit.numpy_ref.attention import (
    AttentionWeight,
    DotAttention,
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
from attnkit.numpy_ref.optimizers import SGD, Adam, clip_grads_by_global_norm
from attnkit.numpy_ref.recurrent import LSTM, TimeBiLSTM, TimeLSTM
from attnkit.numpy_ref.seq2seq import Decoder, Encoder, PeekyDecoder, PeekySeq2seq, Seq2seq
from attnkit.numpy_ref.trainer import Trainer

__all__ = [
    "Adam",
    "Affine",
    "AttentionDecoder",
    "AttentionEncoder",
    "AttentionSeq2seq",
    "AttentionWeight",
    "Decoder",
    "DotAttention",
    "Embedding",
    "Encoder",
    "LSTM",
    "PeekyDecoder",
    "PeekySeq2seq",
    "SGD",
    "Seq2seq",
    "Softmax",
    "StepwiseTimeAttention",
    "TimeAffine",
    "TimeAttention",
    "TimeBiLSTM",
    "TimeLSTM",
    "TimeSoftmaxWithLoss",
    "Trainer",
    "WeightSum",
    "clip_grads_by_global_norm",
]
