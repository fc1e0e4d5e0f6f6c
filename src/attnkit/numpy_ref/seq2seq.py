"""Plain and peeky seq2seq models of the NumPy engine (the book's chapter 7), masked.

Batches are right-padded with id 0: source (B, S) with source_lengths (B,), target_in (B, T).
`forward` is teacher-forced scoring and returns logits (B, T, V); the loss lives in
`TimeSoftmaxWithLoss`; `generate` is greedy search. The decoder starts from the encoder's
final state at each sequence's last real token, h = encoder h and c = zeros.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import DTypeLike

from attnkit.errors import AttnkitError
from attnkit.numpy_ref.initializers import (
    affine_weights,
    embedding_weight,
    lstm_weights,
    named_params,
)
from attnkit.numpy_ref.layers import Embedding, TimeAffine
from attnkit.numpy_ref.recurrent import TimeLSTM


def length_mask(lengths: np.ndarray, S: int) -> np.ndarray:
    """lengths (B,) -> mask (B, S), True at real tokens."""
    return np.arange(S)[None, :] < np.asarray(lengths)[:, None]


def greedy_loop(step: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray | None]], B: int,
                start_id: int, max_length: int,
                end_id: int | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """Feed each step its own argmax: step(ids (B, 1)) -> logits (B, 1, V), weights (B, 1, S)
    | None. Stops after max_length tokens, or once every row has produced end_id.
    -> ids (B, L), weights (B, L, S) | None."""
    ids = np.full((B, 1), start_id)
    generated, all_weights = [], []
    finished = np.zeros(B, dtype=bool)
    for _ in range(max_length):
        logits, weights = step(ids)
        ids = logits.argmax(axis=2)
        generated.append(ids[:, 0])
        if weights is not None:
            all_weights.append(weights[:, 0])
        if end_id is not None:
            finished |= ids[:, 0] == end_id
            if finished.all():
                break
    return np.stack(generated, axis=1), np.stack(all_weights, axis=1) if all_weights else None


class NamedParameters:
    """Parameters by name, so that checkpoints and optimisers can find them."""

    named: dict[str, tuple[np.ndarray, np.ndarray]]

    @property
    def params(self) -> list[np.ndarray]:
        return [param for param, _ in self.named.values()]

    @property
    def grads(self) -> list[np.ndarray]:
        return [grad for _, grad in self.named.values()]

    def state_dict(self) -> dict[str, np.ndarray]:
        return {name: param for name, (param, _) in self.named.items()}

    def load_state_dict(self, arrays: dict[str, np.ndarray]) -> None:
        """Copies arrays into the parameters in place; names and shapes must match exactly."""
        if set(arrays) != set(self.named):
            missing, unexpected = set(self.named) - set(arrays), set(arrays) - set(self.named)
            raise AttnkitError(
                f"weights do not fit the model: missing {sorted(missing)}, "
                f"unexpected {sorted(unexpected)}"
            )
        for name, (param, _) in self.named.items():
            if arrays[name].shape != param.shape:
                raise AttnkitError(
                    f"weights do not fit the model: {name} has shape "
                    f"{arrays[name].shape}, the model needs {param.shape}"
                )
            param[...] = arrays[name]


class Encoder(NamedParameters):
    """source (B, S), source_lengths (B,) -> h (B, H), the state at each last real token."""

    def __init__(self, V: int, E: int, H: int, rng: np.random.Generator,
                 dtype: DTypeLike = np.float32, workers: int = 1) -> None:
        self.embedding = Embedding(embedding_weight(rng, V, E, dtype))
        self.lstm = TimeLSTM(*lstm_weights(rng, E, H, dtype), stateful=False, workers=workers)
        self.named = named_params("encoder", {"embedding": self.embedding, "lstm": self.lstm})

    def forward(self, source: np.ndarray, source_lengths: np.ndarray) -> np.ndarray:
        B, S = source.shape
        self.lstm.forward(self.embedding.forward(source), length_mask(source_lengths, S))
        return self.lstm.h

    def backward(self, dh: np.ndarray) -> None:
        B, H = dh.shape
        S = self.embedding.ids.shape[1]
        dhs = np.zeros((B, S, H), dtype=dh.dtype)
        self.embedding.backward(self.lstm.backward(dhs, dh_last=dh))


class Decoder(NamedParameters):
    """target_in (B, T), h (B, H) -> logits (B, T, V)."""

    def __init__(self, V: int, E: int, H: int, rng: np.random.Generator,
                 dtype: DTypeLike = np.float32, workers: int = 1) -> None:
        self.embedding = Embedding(embedding_weight(rng, V, E, dtype))
        self.lstm = TimeLSTM(*lstm_weights(rng, E, H, dtype), stateful=True, workers=workers)
        self.affine = TimeAffine(*affine_weights(rng, H, V, dtype))
        layers = {"embedding": self.embedding, "lstm": self.lstm, "affine": self.affine}
        self.named = named_params("decoder", layers)

    def forward(self, target_in: np.ndarray, h: np.ndarray) -> np.ndarray:
        self.lstm.set_state(h)
        return self.affine.forward(self.lstm.forward(self.embedding.forward(target_in)))

    def backward(self, dlogits: np.ndarray) -> np.ndarray:
        """-> dh (B, H) into the initial state."""
        self.embedding.backward(self.lstm.backward(self.affine.backward(dlogits)))
        return self.lstm.dh

    def generate(self, h: np.ndarray, start_id: int, max_length: int,
                 end_id: int | None = None) -> np.ndarray:
        """Greedy search from the encoder state h (B, H) -> ids (B, L <= max_length)."""
        self.lstm.set_state(h)

        def step(ids: np.ndarray) -> tuple[np.ndarray, None]:
            return self.affine.forward(self.lstm.forward(self.embedding.forward(ids))), None

        return greedy_loop(step, h.shape[0], start_id, max_length, end_id)[0]


class PeekyDecoder(Decoder):
    """Like Decoder, but the encoder state peeks into every step: the LSTM reads [h; embedding]
    and the output layer reads [h; lstm output]."""

    def __init__(self, V: int, E: int, H: int, rng: np.random.Generator,
                 dtype: DTypeLike = np.float32, workers: int = 1) -> None:
        self.embedding = Embedding(embedding_weight(rng, V, E, dtype))
        self.lstm = TimeLSTM(*lstm_weights(rng, H + E, H, dtype), stateful=True, workers=workers)
        self.affine = TimeAffine(*affine_weights(rng, H + H, V, dtype))
        layers = {"embedding": self.embedding, "lstm": self.lstm, "affine": self.affine}
        self.named = named_params("decoder", layers)
        self.cache: tuple[int, int] | None = None

    def scores(self, target_in: np.ndarray, h: np.ndarray) -> np.ndarray:
        B, T = target_in.shape
        peek = np.broadcast_to(h[:, None, :], (B, T, h.shape[1]))
        lstm_in = np.concatenate([peek, self.embedding.forward(target_in)], axis=2)
        out = self.lstm.forward(lstm_in)
        return self.affine.forward(np.concatenate([peek, out], axis=2))

    def forward(self, target_in: np.ndarray, h: np.ndarray) -> np.ndarray:
        self.lstm.set_state(h)
        self.cache = h.shape
        return self.scores(target_in, h)

    def backward(self, dlogits: np.ndarray) -> np.ndarray:
        B, H = self.cache
        daffine_in = self.affine.backward(dlogits)
        dlstm_in = self.lstm.backward(np.ascontiguousarray(daffine_in[:, :, H:]))
        self.embedding.backward(dlstm_in[:, :, H:])
        return self.lstm.dh + daffine_in[:, :, :H].sum(axis=1) + dlstm_in[:, :, :H].sum(axis=1)

    def generate(self, h: np.ndarray, start_id: int, max_length: int,
                 end_id: int | None = None) -> np.ndarray:
        self.lstm.set_state(h)

        def step(ids: np.ndarray) -> tuple[np.ndarray, None]:
            return self.scores(ids, h), None

        return greedy_loop(step, h.shape[0], start_id, max_length, end_id)[0]


class Seq2seq(NamedParameters):
    """Encoder then Decoder: forward(source, source_lengths, target_in) -> logits (B, T, V)."""

    decoder_class = Decoder

    def __init__(self, V: int, E: int, H: int, seed: int = 0, dtype: DTypeLike = np.float32,
                 workers: int = 1) -> None:
        rng = np.random.default_rng(seed)
        self.encoder = Encoder(V, E, H, rng, dtype, workers)
        self.decoder = self.decoder_class(V, E, H, rng, dtype, workers)
        self.named = {**self.encoder.named, **self.decoder.named}

    def forward(self, source: np.ndarray, source_lengths: np.ndarray,
                target_in: np.ndarray) -> np.ndarray:
        return self.decoder.forward(target_in, self.encoder.forward(source, source_lengths))

    def backward(self, dlogits: np.ndarray) -> None:
        self.encoder.backward(self.decoder.backward(dlogits))

    def generate(self, source: np.ndarray, source_lengths: np.ndarray, start_id: int,
                 max_length: int,
                 end_id: int | None = None) -> np.ndarray:
        """Greedy search -> ids (B, L): max_length tokens, fewer once every row produced end_id."""
        h = self.encoder.forward(source, source_lengths)
        return self.decoder.generate(h, start_id, max_length, end_id)


class PeekySeq2seq(Seq2seq):
    decoder_class = PeekyDecoder
