"""Search over a decoder step interface: one `Hypothesis` type, batched greedy and beam search."""

from attnkit.decoding.beam import beam_search
from attnkit.decoding.greedy import greedy_search
from attnkit.decoding.hypothesis import Hypothesis
from attnkit.decoding.step import StepDecoder

__all__ = ["Hypothesis", "StepDecoder", "beam_search", "greedy_search"]
