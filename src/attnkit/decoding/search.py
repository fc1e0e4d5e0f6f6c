"""The search a configuration asks for: greedy search for beam width 1, beam search otherwise."""

from __future__ import annotations

from dataclasses import dataclass

from torch import Tensor

from attnkit.decoding.beam import beam_search
from attnkit.decoding.greedy import greedy_search
from attnkit.decoding.hypothesis import Hypothesis
from attnkit.decoding.step import StepDecoder

# Beams cost memory and time in proportion to their number; a wider beam than this has never
# helped here, and 100,000 took about 1 GB for one input.
MAX_BEAM_WIDTH = 100


@dataclass(frozen=True)
class SearchConfig:
    """`beam_width` 1 is greedy search (at most MAX_BEAM_WIDTH); beam hypotheses are ranked by
    score / length**`length_penalty`. Pipelines' decode recipes extend it."""

    beam_width: int = 1
    length_penalty: float = 1.0

    def __post_init__(self) -> None:
        if not 1 <= self.beam_width <= MAX_BEAM_WIDTH:
            raise ValueError(f"beam_width must be from 1 to {MAX_BEAM_WIDTH}, "
                             f"got {self.beam_width}")


def search(model: StepDecoder, source: Tensor, source_lengths: Tensor, start_id: int,
           end_id: int, max_length: int, config: SearchConfig) -> list[Hypothesis]:
    """source (B, S...), source_lengths (B,) -> B hypotheses, by the search `config` names."""
    if config.beam_width == 1:
        return greedy_search(model, source, source_lengths, start_id, end_id, max_length)
    return beam_search(model, source, source_lengths, start_id, end_id, max_length,
                       config.beam_width, config.length_penalty)
