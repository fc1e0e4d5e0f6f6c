"""Searching again for outputs that pass a check (e.g. SMILES that RDKit parses).

The shared beam search stays as it is; the model is wrapped instead. `ExcludingDecoder` forbids
ending a hypothesis whose tokens equal an output already found wanting for that source, so
searching again yields the next-best ended hypothesis. Only the sources whose best output fails
the check are searched again, at most `retries` times.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import torch
from torch import Tensor

from attnkit.decoding.beam import beam_search
from attnkit.decoding.hypothesis import Hypothesis
from attnkit.decoding.step import StepDecoder


class ExcludingMemory(NamedTuple):
    inner: Any
    rows: Tensor  # (B,) which source each search row belongs to


class ExcludingState(NamedTuple):
    inner: Any
    history: Tensor  # (B, t) tokens fed so far, the start token first
    rows: Tensor


class ExcludingDecoder:
    """A StepDecoder around `model` where `excluded[b]` (token tuples) may not end source b."""

    def __init__(self, model: StepDecoder, excluded: Sequence[set[tuple[int, ...]]],
                 end_id: int) -> None:
        self.model, self.excluded, self.end_id = model, excluded, end_id

    def encode(self, source: Tensor, source_lengths: Tensor) -> ExcludingMemory:
        rows = torch.arange(source.shape[0], device=source.device)
        return ExcludingMemory(self.model.encode(source, source_lengths), rows)

    def initial_state(self, memory: ExcludingMemory) -> ExcludingState:
        empty = torch.zeros(memory.rows.shape[0], 0, dtype=torch.long, device=memory.rows.device)
        return ExcludingState(self.model.initial_state(memory.inner), empty, memory.rows)

    def decode_step(self, tokens: Tensor, state: ExcludingState,
                    memory: ExcludingMemory) -> tuple[Tensor, ExcludingState, Tensor]:
        log_probs, inner, weights = self.model.decode_step(tokens, state.inner, memory.inner)
        history = torch.cat([state.history, tokens.unsqueeze(1)], dim=1)
        prefixes = history[:, 1:].tolist()  # what ending now would output
        for i, (prefix, row) in enumerate(zip(prefixes, state.rows.tolist(), strict=True)):
            if tuple(prefix) in self.excluded[row]:
                log_probs[i, self.end_id] = float("-inf")
        return log_probs, ExcludingState(inner, history, state.rows), weights

    def select_state(self, state: ExcludingState, indices: Tensor) -> ExcludingState:
        return ExcludingState(self.model.select_state(state.inner, indices),
                              state.history[indices], state.rows[indices])

    def select_memory(self, memory: ExcludingMemory, indices: Tensor) -> ExcludingMemory:
        return ExcludingMemory(self.model.select_memory(memory.inner, indices),
                               memory.rows[indices])


def beam_search_passing(model: StepDecoder, source: Tensor, source_lengths: Tensor,
                        start_id: int, end_id: int, max_length: int, beam_width: int,
                        length_penalty: float, passes: Callable[[list[int]], bool],
                        retries: int) -> list[Hypothesis]:
    """Beam search, then for each source whose best ended output fails `passes` (token ids ->
    bool), up to `retries` searches more without the outputs found so far; the best output
    that passes is kept, else the first (best-scored) one."""
    found = beam_search(model, source, source_lengths, start_id, end_id, max_length,
                        beam_width, length_penalty)
    first = list(found)
    excluded: list[set[tuple[int, ...]]] = [set() for _ in found]
    for _ in range(retries):
        failing = [b for b, h in enumerate(found) if h.finished and not passes(h.tokens)]
        if not failing:
            break
        for b in failing:
            excluded[b].add(tuple(found[b].tokens))
        chosen = torch.tensor(failing, device=source.device)
        wrapper = ExcludingDecoder(model, [excluded[b] for b in failing], end_id)
        again = beam_search(wrapper, source[chosen], source_lengths[chosen], start_id, end_id,
                            max_length, beam_width, length_penalty)
        for b, hypothesis in zip(failing, again, strict=True):
            if hypothesis.finished:
                found[b] = hypothesis
    return [h if not h.finished or passes(h.tokens) else first[b] for b, h in enumerate(found)]
