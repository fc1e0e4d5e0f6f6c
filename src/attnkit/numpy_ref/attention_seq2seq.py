"""Attention seq2seq of the NumPy engine (the book's chapter 8), masked.

The decoder LSTM reads the target embeddings starting from the encoder's final state; its
outputs query all encoder outputs with dot attention (padding masked out), and a linear layer
maps [context; lstm output] (2H) to the vocabulary.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import DTypeLike

from attnkit.numpy_ref.attention import TimeAttention
from attnkit.numpy_ref.initializers import (
    affine_weights,
    embedding_weight,
    lstm_weights,
    named_params,
)
from attnkit.numpy_ref.layers import Embedding, TimeAffine
from attnkit.numpy_ref.recurrent import TimeLSTM
from attnkit.numpy_ref.seq2seq import Encoder, NamedParameters, greedy_loop, length_mask


class AttentionEncoder(Encoder):
    """source (B, S), source_lengths (B,) -> outputs (B, S, H) (0 at padding), h (B, H)."""

    def forward(self, source: np.ndarray,
                source_lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        B, S = source.shape
        mask = length_mask(source_lengths, S)
        outputs = self.lstm.forward(self.embedding.forward(source), mask)
        return outputs, self.lstm.h

    def backward(self, doutputs: np.ndarray, dh: np.ndarray) -> None:
        self.embedding.backward(self.lstm.backward(doutputs, dh_last=dh))


class AttentionDecoder(NamedParameters):
    """target_in (B, T), encoder outputs (B, S, H), h (B, H), mask (B, S) -> logits (B, T, V)."""

    def __init__(self, V: int, E: int, H: int, rng: np.random.Generator,
                 dtype: DTypeLike = np.float32, workers: int = 1) -> None:
        self.embedding = Embedding(embedding_weight(rng, V, E, dtype))
        self.lstm = TimeLSTM(*lstm_weights(rng, E, H, dtype), stateful=True, workers=workers)
        self.attention = TimeAttention()
        self.affine = TimeAffine(*affine_weights(rng, H + H, V, dtype))
        layers = {"embedding": self.embedding, "lstm": self.lstm, "affine": self.affine}
        self.named = named_params("decoder", layers)

    def scores(self, target_in: np.ndarray, encoder_outputs: np.ndarray,
               mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """-> logits (B, T, V), attention weights (B, T, S), from the current LSTM state."""
        out = self.lstm.forward(self.embedding.forward(target_in))
        context, weights = self.attention.forward(out, encoder_outputs, mask)
        return self.affine.forward(np.concatenate([context, out], axis=2)), weights

    def forward(self, target_in: np.ndarray, encoder_outputs: np.ndarray, h: np.ndarray,
                mask: np.ndarray) -> np.ndarray:
        self.lstm.set_state(h)
        return self.scores(target_in, encoder_outputs, mask)[0]

    def backward(self, dlogits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """-> d encoder outputs (B, S, H), dh (B, H) into the initial state."""
        H = self.lstm.params[1].shape[0]
        daffine_in = self.affine.backward(dlogits)
        dout, dencoder_outputs = self.attention.backward(daffine_in[:, :, :H])
        dout += daffine_in[:, :, H:]
        self.embedding.backward(self.lstm.backward(dout))
        return dencoder_outputs, self.lstm.dh

    def generate(self, encoder_outputs: np.ndarray, h: np.ndarray, mask: np.ndarray,
                 start_id: int, max_length: int,
                 end_id: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Greedy search -> ids (B, L), attention weights (B, L, S)."""
        self.lstm.set_state(h)

        def step(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            return self.scores(ids, encoder_outputs, mask)

        return greedy_loop(step, h.shape[0], start_id, max_length, end_id)


class AttentionSeq2seq(NamedParameters):
    """forward(source (B, S), source_lengths (B,), target_in (B, T)) -> logits (B, T, V)."""

    def __init__(self, V: int, E: int, H: int, seed: int = 0, dtype: DTypeLike = np.float32,
                 workers: int = 1) -> None:
        rng = np.random.default_rng(seed)
        self.encoder = AttentionEncoder(V, E, H, rng, dtype, workers)
        self.decoder = AttentionDecoder(V, E, H, rng, dtype, workers)
        self.named = {**self.encoder.named, **self.decoder.named}

    def forward(self, source: np.ndarray, source_lengths: np.ndarray,
                target_in: np.ndarray) -> np.ndarray:
        encoder_outputs, h = self.encoder.forward(source, source_lengths)
        mask = length_mask(source_lengths, source.shape[1])
        return self.decoder.forward(target_in, encoder_outputs, h, mask)

    def backward(self, dlogits: np.ndarray) -> None:
        self.encoder.backward(*self.decoder.backward(dlogits))

    def generate_with_weights(self, source: np.ndarray, source_lengths: np.ndarray,
                              start_id: int, max_length: int,
                              end_id: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Greedy search -> ids (B, L), attention weights (B, L, S); L = max_length, or less
        once every row produced end_id."""
        encoder_outputs, h = self.encoder.forward(source, source_lengths)
        mask = length_mask(source_lengths, source.shape[1])
        return self.decoder.generate(encoder_outputs, h, mask, start_id, max_length, end_id)

    def generate(self, source: np.ndarray, source_lengths: np.ndarray, start_id: int,
                 max_length: int,
                 end_id: int | None = None) -> np.ndarray:
        """Greedy search -> ids (B, L)."""
        return self.generate_with_weights(source, source_lengths, start_id, max_length,
                                          end_id)[0]
