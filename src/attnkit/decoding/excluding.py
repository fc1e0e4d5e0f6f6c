"""Searching again for outputs that pass a check (e.g. SMILES that RDKit parses).

The shared beam search stays as it is; the model is wrapped instead (`decoding/restricted.py`).
`ExcludingDecoder` forbids ending a hypothesis whose tokens equal an output already found
wanting for that source, so searching again yields the next-best ended hypothesis. Only the
sources whose best output fails the check are searched again, at most `retries` times.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import Tensor

from attnkit.decoding.beam import beam_search
from attnkit.decoding.hypothesis import Hypothesis
from attnkit.decoding.restricted import RestrictedDecoder
from attnkit.decoding.step import StepDecoder


class ExcludingDecoder(RestrictedDecoder):
    """A StepDecoder around `model` where `excluded[b]` (token tuples) may not end source b."""

    def __init__(self, model: StepDecoder, excluded: Sequence[set[tuple[int, ...]]],
                 end_id: int) -> None:
        super().__init__(model)
        self.excluded, self.end_id = excluded, end_id

    def restrict(self, log_probs: Tensor, prefixes: list[list[int]], rows: list[int]) -> None:
        for i, (prefix, row) in enumerate(zip(prefixes, rows, strict=True)):
            if tuple(prefix) in self.excluded[row]:  # what ending now would output
                log_probs[i, self.end_id] = float("-inf")


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
