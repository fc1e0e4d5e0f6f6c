"""Searching an image-to-sequence model, with an option to prefer outputs RDKit parses.

`prefer_valid` keeps the shared beam search as it is and wraps the model instead: the wrapper
(`ExcludingDecoder`) forbids ending a hypothesis whose tokens equal an output already found
invalid for that image, so searching again yields the next-best ended hypothesis. Only images
whose best output does not parse are searched again, at most `valid_retries` times.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import torch
from torch import Tensor

from attnkit.decoding import Hypothesis, beam_search, greedy_search
from attnkit.models.img2seq import Img2Seq
from attnkit.pipelines.img2seq.recipe import DecodeConfig


class ExcludingMemory(NamedTuple):
    inner: Any
    rows: Tensor  # (B,) which image each search row belongs to


class ExcludingState(NamedTuple):
    inner: Any
    history: Tensor  # (B, t) tokens fed so far, the start token first
    rows: Tensor


class ExcludingDecoder:
    """A StepDecoder around `model` where `excluded[b]` (token tuples) may not end image b."""

    def __init__(self, model: Img2Seq, excluded: Sequence[set[tuple[int, ...]]],
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


def search_images(model: Img2Seq, images: Tensor, decode: DecodeConfig, start_id: int,
                  end_id: int, max_length: int,
                  is_valid: Callable[[list[int]], bool] | None = None) -> list[Hypothesis]:
    """images (B, S, S) -> B hypotheses; `is_valid` (token ids -> bool) enables prefer_valid."""
    lengths = torch.full((images.shape[0],), model.positions, dtype=torch.long,
                         device=images.device)
    if decode.beam_width == 1:
        return greedy_search(model, images, lengths, start_id, end_id, max_length)
    found = beam_search(model, images, lengths, start_id, end_id, max_length,
                        decode.beam_width, decode.length_penalty)
    if not decode.prefer_valid or is_valid is None:
        return found
    first = list(found)
    excluded: list[set[tuple[int, ...]]] = [set() for _ in found]
    for _ in range(decode.valid_retries):
        invalid = [b for b, h in enumerate(found) if h.finished and not is_valid(h.tokens)]
        if not invalid:
            break
        for b in invalid:
            excluded[b].add(tuple(found[b].tokens))
        chosen = torch.tensor(invalid, device=images.device)
        wrapper = ExcludingDecoder(model, [excluded[b] for b in invalid], end_id)
        again = beam_search(wrapper, images[chosen], lengths[chosen], start_id, end_id,
                            max_length, decode.beam_width, decode.length_penalty)
        for b, hypothesis in zip(invalid, again, strict=True):
            if hypothesis.finished:
                found[b] = hypothesis
    # where no retry parses either, the first (best-scored) output stays
    return [h if not h.finished or is_valid(h.tokens) else first[b]
            for b, h in enumerate(found)]
