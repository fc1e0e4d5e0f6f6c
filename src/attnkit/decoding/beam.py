"""Batched beam search with length normalisation.

All B x K beams advance in one `decode_step`. At each step every live beam also proposes ending
(`</s>`); the best ended hypothesis per source is kept (the n best: `decoding/n_best.py`, same
loop), and the K best continuations stay live.
Hypotheses are ranked by score / length**length_penalty (length counts `</s>`; 0 = raw score).
The search stops for good when no live beam can still beat the kept hypothesis of its source:
log-probabilities only fall, so a live beam's best reachable normalised score is
raw / max_length**length_penalty.
"""

from __future__ import annotations

from typing import Protocol

import torch
from torch import Tensor

from attnkit.decoding.greedy import collect
from attnkit.decoding.hypothesis import Hypothesis
from attnkit.decoding.step import StepDecoder
from attnkit.errors import AttnkitError


@torch.no_grad()
def beam_search(model: StepDecoder, source: Tensor, source_lengths: Tensor, start_id: int,
                end_id: int, max_length: int, beam_width: int = 5,
                length_penalty: float = 1.0) -> list[Hypothesis]:
    """source (B, S), source_lengths (B,) -> the best of `beam_width` beams for each source."""
    if beam_width < 1:
        raise AttnkitError(f"beam width must be at least 1, got {beam_width}")
    best = BestEnded(source.shape[0], max_length, source.device)
    scores, history, attention = advance_beams(model, source, source_lengths, start_id, end_id,
                                               max_length, beam_width, length_penalty, best)
    return best.hypotheses(scores, history, attention, source_lengths, end_id, beam_width)


def advance_beams(model: StepDecoder, source: Tensor, source_lengths: Tensor, start_id: int,
                  end_id: int, max_length: int, beam_width: int, length_penalty: float,
                  kept: EndedKeeper) -> tuple[Tensor, Tensor, Tensor | None]:
    """Run the beams, offering every ending to `kept`, until none can still enter it (its
    `bound` (B,) is the normalised score an ending must beat) -> the live beams' scores (B, K),
    tokens (B*K, t) and attention (B*K, t, S) | None."""
    B, K, device = source.shape[0], beam_width, source.device
    rows = torch.arange(B, device=device)
    memory = model.encode(source, source_lengths)
    memory = model.select_memory(memory, rows.repeat_interleave(K))
    state = model.initial_state(memory)
    tokens = torch.full((B * K,), start_id, dtype=torch.long, device=device)
    scores = torch.full((B, K), float("-inf"), device=device)
    scores[:, 0] = 0.0  # all beams start equal: expand only the first
    history = torch.zeros(B * K, 0, dtype=torch.long, device=device)
    attention: Tensor | None = None
    for step in range(max_length):
        log_probs, state, weights = model.decode_step(tokens, state, memory)
        if weights is not None:
            step_weights = weights.unsqueeze(1)
            attention = step_weights if attention is None else torch.cat([attention, step_weights],
                                                                         dim=1)
        total = scores.unsqueeze(-1) + log_probs.view(B, K, -1)
        kept.offer(total[:, :, end_id], history, attention, step + 1, length_penalty)
        total[:, :, end_id] = float("-inf")
        scores, flat = total.view(B, -1).topk(K, dim=-1)
        V = total.shape[-1]
        parents = (rows.unsqueeze(1) * K + flat // V).view(-1)
        tokens = (flat % V).view(-1)
        state = model.select_state(state, parents)
        history = torch.cat([history[parents], tokens.unsqueeze(1)], dim=1)
        attention = None if attention is None else attention[parents]
        reachable = scores.max(dim=-1).values / max_length ** length_penalty
        if bool((kept.bound >= reachable).all()):
            break
    return scores, history, attention


class EndedKeeper(Protocol):
    """What keeps ended hypotheses during `advance_beams`."""

    bound: Tensor  # (B,) the normalised score a new ending must beat to be kept

    def offer(self, ended: Tensor, history: Tensor, attention: Tensor | None, length: int,
              length_penalty: float) -> None:
        """ended (B, K): raw scores of ending each beam now (see `BestEnded.offer`)."""


class BestEnded:
    """The best hypothesis that ended with `</s>`, per source (B of them)."""

    def __init__(self, B: int, max_length: int, device: torch.device) -> None:
        self.normalised = torch.full((B,), float("-inf"), device=device)
        self.raw = torch.full((B,), float("-inf"), device=device)
        self.tokens = torch.zeros(B, max_length + 1, dtype=torch.long, device=device)
        self.lengths = torch.zeros(B, dtype=torch.long, device=device)
        self.attention: Tensor | None = None

    @property
    def bound(self) -> Tensor:
        return self.normalised

    def offer(self, ended: Tensor, history: Tensor, attention: Tensor | None, length: int,
              length_penalty: float) -> None:
        """ended (B, K): raw scores of ending each beam now; history (B*K, length-1) tokens so
        far; attention (B*K, length, S) including this step's row."""
        B, K = ended.shape
        normalised, beam = (ended / length ** length_penalty).max(dim=-1)
        better = normalised > self.normalised
        if not bool(better.any()):
            return
        chosen = torch.arange(B, device=ended.device) * K + beam
        self.normalised = torch.where(better, normalised, self.normalised)
        self.raw = torch.where(better, ended.gather(1, beam.unsqueeze(1)).squeeze(1), self.raw)
        tokens = history[chosen]
        padded = torch.zeros_like(self.tokens)
        padded[:, : length - 1] = tokens
        self.tokens = torch.where(better.unsqueeze(1), padded, self.tokens)
        self.lengths = torch.where(better, torch.full_like(self.lengths, length - 1), self.lengths)
        if attention is not None:
            rows = attention[chosen, : length - 1]
            if self.attention is None:
                self.attention = torch.zeros(B, self.tokens.shape[1], attention.shape[-1],
                                             device=ended.device, dtype=attention.dtype)
            padded_rows = torch.zeros_like(self.attention)
            padded_rows[:, : length - 1] = rows
            self.attention = torch.where(better.view(B, 1, 1), padded_rows, self.attention)

    def hypotheses(self, scores: Tensor, history: Tensor, attention: Tensor | None,
                   source_lengths: Tensor, end_id: int, K: int) -> list[Hypothesis]:
        """The kept ended hypothesis, or the best live beam for a source where none ended."""
        ended = torch.isfinite(self.normalised).cpu().tolist()
        live = collect(history[::K], scores[:, 0], [] if attention is None
                       else list(attention[::K].unbind(1)), source_lengths, end_id)
        lengths = self.lengths.cpu().tolist()
        tokens = self.tokens.cpu().tolist()
        weights = None if self.attention is None else self.attention.float().cpu().numpy()
        source = source_lengths.cpu().tolist()
        results = []
        for b, has_ended in enumerate(ended):
            if not has_ended:
                live[b].finished = False
                results.append(live[b])
                continue
            matrix = None if weights is None else weights[b, : lengths[b], : source[b]]
            results.append(Hypothesis(tokens[b][: lengths[b]], float(self.raw[b]), matrix, True))
        return results
