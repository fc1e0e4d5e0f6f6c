"""Wrapping a model so that the shared searches, unchanged, can only produce some outputs.

A `RestrictedDecoder` is a StepDecoder around a model that knows, for each search row, the
source it belongs to and the tokens fed so far; before each step's log-probabilities reach the
search, `restrict` sets those of forbidden tokens to -inf. Greedy search then takes the best
allowed token, and beam search keeps the best allowed continuations. Two kinds:

- `GrammarDecoder`: only outputs a grammar allows (`allowed(prefix)` gives the next tokens);
- `ExcludingDecoder` (`decoding/excluding.py`): not ending with an output already found wanting.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any, NamedTuple

import torch
from torch import Tensor

from attnkit.decoding.step import StepDecoder


class RestrictedMemory(NamedTuple):
    inner: Any
    rows: Tensor  # (B,) which source each search row belongs to


class RestrictedState(NamedTuple):
    inner: Any
    history: Tensor  # (B, t) tokens fed so far, the start token first
    rows: Tensor


class RestrictedDecoder:
    """A StepDecoder around `model`; subclasses say what is forbidden (`restrict`)."""

    def __init__(self, model: StepDecoder) -> None:
        self.model = model

    def restrict(self, log_probs: Tensor, prefixes: list[list[int]], rows: list[int]) -> None:
        """Set log_probs (B, V) to -inf in place where row b may not go on after prefixes[b]
        (the tokens output so far, without the start token) for source rows[b]."""
        raise NotImplementedError

    def encode(self, source: Tensor, source_lengths: Tensor) -> RestrictedMemory:
        rows = torch.arange(source.shape[0], device=source.device)
        return RestrictedMemory(self.model.encode(source, source_lengths), rows)

    def initial_state(self, memory: RestrictedMemory) -> RestrictedState:
        empty = torch.zeros(memory.rows.shape[0], 0, dtype=torch.long, device=memory.rows.device)
        return RestrictedState(self.model.initial_state(memory.inner), empty, memory.rows)

    def decode_step(self, tokens: Tensor, state: RestrictedState,
                    memory: RestrictedMemory) -> tuple[Tensor, RestrictedState, Tensor]:
        log_probs, inner, weights = self.model.decode_step(tokens, state.inner, memory.inner)
        history = torch.cat([state.history, tokens.unsqueeze(1)], dim=1)
        self.restrict(log_probs, history[:, 1:].tolist(), state.rows.tolist())
        return log_probs, RestrictedState(inner, history, state.rows), weights

    def select_state(self, state: RestrictedState, indices: Tensor) -> RestrictedState:
        return RestrictedState(self.model.select_state(state.inner, indices),
                               state.history[indices], state.rows[indices])

    def select_memory(self, memory: RestrictedMemory, indices: Tensor) -> RestrictedMemory:
        return RestrictedMemory(self.model.select_memory(memory.inner, indices),
                                memory.rows[indices])


class GrammarDecoder(RestrictedDecoder):
    """Only outputs a grammar allows: `allowed(prefix)` -> the token ids that may follow the
    output tokens `prefix` (a tuple), `end_id` among them where the output may end, none for a
    prefix outside the grammar (a beam search's unused beams hold such prefixes). A row that
    has ended is left alone (the searches ignore what follows its end)."""

    def __init__(self, model: StepDecoder, allowed: Callable[[tuple[int, ...]], Collection[int]],
                 end_id: int) -> None:
        super().__init__(model)
        self.allowed, self.end_id = allowed, end_id

    def restrict(self, log_probs: Tensor, prefixes: list[list[int]], rows: list[int]) -> None:
        masks: dict[tuple[int, ...] | None, Tensor] = {}  # allowed ids -> a row to keep

        def row(ids: tuple[int, ...] | None) -> Tensor:
            if ids not in masks:
                masks[ids] = torch.zeros(log_probs.shape[1], dtype=torch.bool)
                masks[ids][slice(None) if ids is None else list(ids)] = True
            return masks[ids]

        keep = torch.stack([row(None if self.end_id in prefix else
                                tuple(self.allowed(tuple(prefix)))) for prefix in prefixes])
        log_probs.masked_fill_(~keep.to(log_probs.device), float("-inf"))
