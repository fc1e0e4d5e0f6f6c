"""The encoder and decoder stacks of the NumPy Transformer (`models.transformer_stacks`):
layers, a final LayerNorm, and on the target side the token embedding and the output layer,
tied to the embedding table when asked (its gradient is then the sum of both uses)."""

from __future__ import annotations

import numpy as np
from numpy.typing import DTypeLike

from attnkit.numpy_ref.initializers import nested_params
from attnkit.numpy_ref.linear import layer_norm
from attnkit.numpy_ref.positions import TokenEmbedding, embedding_table
from attnkit.numpy_ref.seq2seq import NamedParameters
from attnkit.numpy_ref.transformer_layers import TransformerDecoderLayer, TransformerEncoderLayer


class TransformerEncoder(NamedParameters):
    """inputs (B, S, E) (embedded, positions added), mask (B, S) -> states (B, S, E)."""

    def __init__(self, num_layers: int, size: int, num_heads: int, inner_size: int,
                 rng: np.random.Generator, dtype: DTypeLike = np.float32) -> None:
        self.layers = [TransformerEncoderLayer(size, num_heads, inner_size, rng, dtype)
                       for _ in range(num_layers)]
        self.final_norm = layer_norm(size, dtype)
        self.named = nested_params({**{f"layers.{i}": layer for i, layer in
                                       enumerate(self.layers)}, "final_norm": self.final_norm})

    def forward(self, inputs: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
        states = inputs
        for layer in self.layers:
            states = layer.forward(states, mask)
        return self.final_norm.forward(states)

    def backward(self, dstates: np.ndarray) -> np.ndarray:
        dinputs = self.final_norm.backward(dstates)
        for layer in reversed(self.layers):
            dinputs = layer.backward(dinputs)
        return dinputs


class OutputLayer:
    """states (B, T, E) -> logits (B, T, V) = states @ weight^T + bias; weight (V, E) is its own
    (param "weight") or, tied, the embedding table (then only "b" is its param, and
    `weight_grad` is added to the table's gradient by the owner)."""

    def __init__(self, weight: np.ndarray, bias: np.ndarray, tied: bool) -> None:
        self.weight, self.weight_grad = weight, np.zeros_like(weight)
        self.params = [bias] if tied else [weight, bias]
        self.grads = [np.zeros_like(bias)] if tied else [self.weight_grad, np.zeros_like(bias)]
        self.param_names = ("b",) if tied else ("weight", "b")
        self.states: np.ndarray | None = None

    def forward(self, states: np.ndarray) -> np.ndarray:
        self.states = states
        return states @ self.weight.T + self.params[-1]

    def backward(self, dlogits: np.ndarray) -> np.ndarray:
        V, E = self.weight.shape
        flat = dlogits.reshape(-1, V)
        self.weight_grad[...] = flat.T @ self.states.reshape(-1, E)
        self.grads[-1][...] = flat.sum(axis=0)
        return dlogits @ self.weight


class TransformerDecoder(NamedParameters):
    """tokens (B, T), memory (B, S, E), mask (B, S) -> logits (B, T, V), teacher-forced."""

    def __init__(self, table: np.ndarray, num_layers: int, num_heads: int, inner_size: int,
                 max_positions: int, tie_embeddings: bool, rng: np.random.Generator) -> None:
        V, E = table.shape
        dtype = table.dtype
        self.embedding = TokenEmbedding(table, max_positions)
        self.layers = [TransformerDecoderLayer(E, num_heads, inner_size, rng, dtype)
                       for _ in range(num_layers)]
        self.final_norm = layer_norm(E, dtype)
        weight = table if tie_embeddings else embedding_table(rng, V, E, dtype)
        self.output = OutputLayer(weight, np.zeros(V, dtype=dtype), tie_embeddings)
        self.named = nested_params({"embedding": self.embedding,
                                    **{f"layers.{i}": layer for i, layer in enumerate(self.layers)},
                                    "final_norm": self.final_norm, "output": self.output})
        # tied: the table's gradient is the sum of its uses (`add_to_table_grad`)
        self.tied = tie_embeddings
        self.table_grad = np.zeros_like(table) if tie_embeddings else self.embedding.grads[0]
        self.named["embedding.weight"] = (table, self.table_grad)

    def forward(self, tokens: np.ndarray, memory: np.ndarray,
                mask: np.ndarray | None) -> np.ndarray:
        hidden = self.embedding.forward(tokens)
        for layer in self.layers:
            hidden = layer.forward(hidden, memory, mask)
        return self.output.forward(self.final_norm.forward(hidden))

    def backward(self, dlogits: np.ndarray) -> np.ndarray:
        """-> dmemory (B, S, E); the table's gradient holds the embedding's and, tied, the
        output layer's part."""
        dhidden = self.final_norm.backward(self.output.backward(dlogits))
        dmemory = 0.0
        for layer in reversed(self.layers):
            dhidden, dlayer_memory = layer.backward(dhidden)
            dmemory = dmemory + dlayer_memory
        self.embedding.backward(dhidden)
        if self.tied:
            np.add(self.embedding.grads[0], self.output.weight_grad, out=self.table_grad)
        return dmemory

    def add_to_table_grad(self, grad: np.ndarray) -> None:
        """Another use of the tied table (a shared source embedding) adds its gradient."""
        self.table_grad += grad
