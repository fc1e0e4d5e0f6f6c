"""The pre-norm Transformer encoder-decoder of the NumPy engine: the maths and parameter names
of `attnkit.models.transformer_seq2seq.TransformerSeq2Seq` (without dropout), every layer with
an explicit backward pass, trainable by `numpy_ref.trainer.Trainer`.

forward(source (B, S), source_lengths (B,), target_in (B, T)) -> logits (B, T, V);
backward(dlogits) fills `grads`; generate(...) is greedy search. Weights move to and from the
torch model through `numpy_ref.transformer_layout`.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import DTypeLike

from attnkit.errors import AttnkitError
from attnkit.numpy_ref.initializers import nested_params
from attnkit.numpy_ref.positions import TokenEmbedding, embedding_table
from attnkit.numpy_ref.seq2seq import NamedParameters, greedy_loop, length_mask
from attnkit.numpy_ref.transformer_stacks import TransformerDecoder, TransformerEncoder


class TransformerSeq2Seq(NamedParameters):
    """Sizes as `TransformerConfig` names them. `tie_embeddings`: the target table is the
    output layer too, and with `shared_vocabulary` the source's table as well."""

    def __init__(self, source_vocab_size: int, target_vocab_size: int, model_size: int = 256,
                 heads: int = 4, ff_size: int = 1024, encoder_layers: int = 3,
                 decoder_layers: int = 3, max_positions: int = 512, tie_embeddings: bool = True,
                 shared_vocabulary: bool = False, seed: int = 0,
                 dtype: DTypeLike = np.float32) -> None:
        if model_size % heads:
            raise AttnkitError(f"model size {model_size} is not divisible by {heads} heads")
        if shared_vocabulary and source_vocab_size != target_vocab_size:
            raise AttnkitError(f"a shared vocabulary has one size, got {source_vocab_size} "
                               f"source and {target_vocab_size} target tokens")
        rng = np.random.default_rng(seed)
        target_table = embedding_table(rng, target_vocab_size, model_size, dtype)
        self.tied_source = shared_vocabulary and tie_embeddings
        source_table = target_table if self.tied_source else \
            embedding_table(rng, source_vocab_size, model_size, dtype)
        # its own layer even when tied: each layer keeps the ids of its own last forward
        self.source_embedding = TokenEmbedding(source_table, max_positions)
        self.encoder = TransformerEncoder(encoder_layers, model_size, heads, ff_size, rng,
                                          dtype)
        self.decoder = TransformerDecoder(target_table, decoder_layers, heads, ff_size,
                                          max_positions, tie_embeddings, rng)
        layers = {"encoder": self.encoder, "decoder": self.decoder}
        if not self.tied_source:
            layers = {"source_embedding": self.source_embedding, **layers}
        self.named = nested_params(layers)
        self.mask: np.ndarray | None = None

    def encode(self, source: np.ndarray, source_lengths: np.ndarray) -> np.ndarray:
        """-> the memory (B, S, E); keeps the source mask for the decoder."""
        self.mask = length_mask(source_lengths, source.shape[1])
        return self.encoder.forward(self.source_embedding.forward(source), self.mask)

    def forward(self, source: np.ndarray, source_lengths: np.ndarray,
                target_in: np.ndarray) -> np.ndarray:
        memory = self.encode(source, source_lengths)
        return self.decoder.forward(target_in, memory, self.mask)

    def backward(self, dlogits: np.ndarray) -> None:
        dmemory = self.decoder.backward(dlogits)
        self.source_embedding.backward(self.encoder.backward(dmemory))
        if self.tied_source:
            self.decoder.add_to_table_grad(self.source_embedding.grads[0])

    def generate(self, source: np.ndarray, source_lengths: np.ndarray, start_id: int,
                 max_length: int, end_id: int | None = None) -> np.ndarray:
        """Greedy search -> ids (B, L): max_length tokens, fewer once every row produced
        end_id. Each step reruns the decoder over the whole prefix (no cache: this engine is
        the readable reference)."""
        memory = self.encode(source, source_lengths)
        mask = self.mask
        prefix: list[np.ndarray] = []

        def step(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            prefix.append(ids)
            logits = self.decoder.forward(np.concatenate(prefix, axis=1), memory, mask)
            weights = self.decoder.layers[-1].cross_weights.mean(axis=1)
            return logits[:, -1:], weights[:, -1:]

        return greedy_loop(step, source.shape[0], start_id, max_length, end_id)[0]
