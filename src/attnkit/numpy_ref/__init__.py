"""The NumPy engine: the book's from-scratch layers (params, grads, forward, backward), the same
seq2seq models as `attnkit.models.seq2seq` and the pre-norm Transformer of
`attnkit.models.transformer_seq2seq` under the same class names, optimisers and a trainer.
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
from attnkit.numpy_ref.feed_forward import PositionwiseFeedForward
from attnkit.numpy_ref.layers import (
    Affine,
    Embedding,
    Softmax,
    TimeAffine,
    TimeSoftmaxWithLoss,
)
from attnkit.numpy_ref.linear import LayerNorm, Linear
from attnkit.numpy_ref.multihead import MultiHeadAttention
from attnkit.numpy_ref.optimizers import SGD, Adam, clip_grads_by_global_norm
from attnkit.numpy_ref.positions import TokenEmbedding, sinusoidal_positions
from attnkit.numpy_ref.recurrent import LSTM, TimeBiLSTM, TimeLSTM
from attnkit.numpy_ref.seq2seq import Decoder, Encoder, PeekyDecoder, PeekySeq2seq, Seq2seq
from attnkit.numpy_ref.trainer import Trainer
from attnkit.numpy_ref.transformer_layers import TransformerDecoderLayer, TransformerEncoderLayer
from attnkit.numpy_ref.transformer_seq2seq import TransformerSeq2Seq
from attnkit.numpy_ref.transformer_stacks import (
    OutputLayer,
    TransformerDecoder,
    TransformerEncoder,
)

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
    "LayerNorm",
    "Linear",
    "MultiHeadAttention",
    "OutputLayer",
    "PeekyDecoder",
    "PeekySeq2seq",
    "PositionwiseFeedForward",
    "SGD",
    "Seq2seq",
    "Softmax",
    "StepwiseTimeAttention",
    "TimeAffine",
    "TimeAttention",
    "TimeBiLSTM",
    "TimeLSTM",
    "TimeSoftmaxWithLoss",
    "TokenEmbedding",
    "Trainer",
    "TransformerDecoder",
    "TransformerDecoderLayer",
    "TransformerEncoder",
    "TransformerEncoderLayer",
    "TransformerSeq2Seq",
    "WeightSum",
    "clip_grads_by_global_norm",
    "sinusoidal_positions",
]
