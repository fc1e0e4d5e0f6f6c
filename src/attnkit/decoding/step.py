"""The decoder step interface that greedy and beam search drive.

Any model with these methods can be searched: the seq2seq models here and an image-to-sequence
model alike (its "source" is then image positions). `memory` and `state` are opaque to the search;
the model knows how to pick batch rows of them.
"""

from __future__ import annotations

from typing import Any, Protocol

from torch import Tensor


class StepDecoder(Protocol):
    def encode(self, source: Tensor, source_lengths: Tensor) -> Any:
        """source (B, S...), source_lengths (B,) -> memory for the decoder."""

    def initial_state(self, memory: Any) -> Any:
        """The decoder state before the first token."""

    def decode_step(self, tokens: Tensor, state: Any,
                    memory: Any) -> tuple[Tensor, Any, Tensor | None]:
        """tokens (B,) -> log_probs (B, V), new state, attention weights (B, S) | None."""

    def select_state(self, state: Any, indices: Tensor) -> Any:
        """The state of batch rows `indices` (B',), in that order (rows may repeat)."""

    def select_memory(self, memory: Any, indices: Tensor) -> Any:
        """The memory of batch rows `indices` (B',), in that order (rows may repeat)."""
