"""Batched greedy search: every sequence of the batch advances together, stopping when all ended."""

from __future__ import annotations

import torch
from torch import Tensor

from attnkit.decoding.hypothesis import Hypothesis
from attnkit.decoding.step import StepDecoder


@torch.no_grad()
def greedy_search(model: StepDecoder, source: Tensor, source_lengths: Tensor, start_id: int,
                  end_id: int, max_length: int) -> list[Hypothesis]:
    """source (B, S), source_lengths (B,) -> B hypotheses of at most `max_length` tokens."""
    B = source.shape[0]
    memory = model.encode(source, source_lengths)
    state = model.initial_state(memory)
    tokens = torch.full((B,), start_id, dtype=torch.long, device=source.device)
    finished = torch.zeros(B, dtype=torch.bool, device=source.device)
    scores = torch.zeros(B, device=source.device)
    steps: list[Tensor] = []
    attention: list[Tensor] = []
    for _ in range(max_length):
        log_probs, state, weights = model.decode_step(tokens, state, memory)
        best, tokens = log_probs.max(dim=-1)
        scores += best.masked_fill(finished, 0.0)
        steps.append(tokens)
        if weights is not None:
            attention.append(weights)
        finished |= tokens == end_id
        if bool(finished.all()):
            break
    return collect(torch.stack(steps, 1), scores, attention, source_lengths, end_id)


def collect(tokens: Tensor, scores: Tensor, attention: list[Tensor], source_lengths: Tensor,
            end_id: int) -> list[Hypothesis]:
    """tokens (B, T), scores (B,), attention T x (B, S) -> hypotheses cut at the first `</s>`."""
    token_rows = tokens.cpu().tolist()
    weights = torch.stack(attention, 1).float().cpu().numpy() if attention else None
    lengths = source_lengths.cpu().tolist()
    hypotheses = []
    for b, (row, score) in enumerate(zip(token_rows, scores.tolist(), strict=True)):
        finished = end_id in row
        length = row.index(end_id) if finished else len(row)
        matrix = None if weights is None else weights[b, :length, : lengths[b]]
        hypotheses.append(Hypothesis(row[:length], score, matrix, finished))
    return hypotheses
