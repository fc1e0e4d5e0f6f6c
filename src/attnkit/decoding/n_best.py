"""The n best outputs of a search for each source, best first.

The beams advance exactly as in `beam_search` (`advance_beams`), but the n best endings per
source are kept instead of the best one, so the first of them is what `beam_search` finds with
the same beam width (ties go to the ending found first, as there). They are ranked as the beam
ranks them, by score / length**length_penalty (length counts `</s>`). n may not exceed the beam
width: a beam of K keeps only K continuations, so its K+1-th best ending would be a guess. Where
fewer than n hypotheses ended, the best live beams follow the ended ones (`finished` False),
best first. Beam width 1 is greedy search, whose one output is its 1-best list.
"""

from __future__ import annotations

import torch
from torch import Tensor

from attnkit.decoding.beam import advance_beams
from attnkit.decoding.greedy import greedy_search
from attnkit.decoding.hypothesis import Hypothesis
from attnkit.decoding.search import SearchConfig
from attnkit.decoding.step import StepDecoder
from attnkit.errors import AttnkitError


@torch.no_grad()
def search_n_best(model: StepDecoder, source: Tensor, source_lengths: Tensor, start_id: int,
                  end_id: int, max_length: int, config: SearchConfig,
                  n: int) -> list[list[Hypothesis]]:
    """source (B, S...), source_lengths (B,) -> for each source, its (at most) `n` best
    hypotheses, best first, by the search `config` names; 1 <= n <= config.beam_width."""
    if not 1 <= n <= config.beam_width:
        raise AttnkitError(f"the {n} best outputs need a beam at least {n} wide (and n >= 1); "
                           f"the beam width is {config.beam_width}")
    if config.beam_width == 1:
        found = greedy_search(model, source, source_lengths, start_id, end_id, max_length)
        return [[hypothesis] for hypothesis in found]
    kept = EndedLists(source.shape[0], n, source.device)
    scores, history, attention = advance_beams(model, source, source_lengths, start_id, end_id,
                                               max_length, config.beam_width,
                                               config.length_penalty, kept)
    return kept.hypotheses(scores, history, attention, source_lengths)


class EndedLists:
    """The n best hypotheses that ended with `</s>`, per source (B of them), best first."""

    def __init__(self, B: int, n: int, device: torch.device) -> None:
        self.n = n
        # per source: (normalised score, order offered, hypothesis); attention not yet cut to
        # the source's length
        self.kept: list[list[tuple[float, int, Hypothesis]]] = [[] for _ in range(B)]
        self.bound = torch.full((B,), float("-inf"), device=device)
        self.offered = 0

    def offer(self, ended: Tensor, history: Tensor, attention: Tensor | None, length: int,
              length_penalty: float) -> None:
        """ended (B, K): raw scores of ending each beam now; history (B*K, length-1) tokens so
        far; attention (B*K, length, S) including this step's row."""
        B, K = ended.shape
        normalised = ended / length ** length_penalty
        entering = (normalised > self.bound.unsqueeze(1)) & torch.isfinite(normalised)
        if not bool(entering.any()):
            return
        touched = set()
        for b, k in entering.nonzero().tolist():
            row = b * K + k
            weights = None if attention is None else \
                attention[row, : length - 1].float().cpu().numpy()
            hypothesis = Hypothesis(history[row].tolist(), float(ended[b, k]), weights, True)
            self.kept[b].append((float(normalised[b, k]), self.offered, hypothesis))
            self.offered += 1
            touched.add(b)
        for b in touched:
            self.kept[b].sort(key=lambda entry: (-entry[0], entry[1]))
            del self.kept[b][self.n:]
            if len(self.kept[b]) == self.n:
                self.bound[b] = self.kept[b][-1][0]

    def hypotheses(self, scores: Tensor, history: Tensor, attention: Tensor | None,
                   source_lengths: Tensor) -> list[list[Hypothesis]]:
        """The kept ended hypotheses of each source, then its best live beams (scores (B, K),
        best first) while fewer than n ended."""
        B, K = scores.shape
        lengths = source_lengths.cpu().tolist()
        live_scores = scores.cpu().tolist()
        results = []
        for b in range(B):
            found = [hypothesis for _, _, hypothesis in self.kept[b]]
            for k in range(K):
                if len(found) >= self.n or live_scores[b][k] == float("-inf"):
                    break
                weights = None if attention is None else \
                    attention[b * K + k].float().cpu().numpy()
                found.append(Hypothesis(history[b * K + k].tolist(), live_scores[b][k], weights,
                                        False))
            for hypothesis in found:
                if hypothesis.attention is not None:
                    hypothesis.attention = hypothesis.attention[:, : lengths[b]]
            results.append(found)
        return results


def normalised_score(hypothesis: Hypothesis, length_penalty: float) -> float:
    """The score the beam ranks `hypothesis` by: score / length**length_penalty, its length
    counting `</s>` when it ended."""
    length = len(hypothesis.tokens) + int(hypothesis.finished)
    return hypothesis.score / max(length, 1) ** length_penalty
