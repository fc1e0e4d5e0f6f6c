"""Search over a decoder step interface: one `Hypothesis` type, batched greedy and beam search,
the choice between them (`search`), the n best outputs (`search_n_best`), searching only among
outputs a grammar allows, and searching again for outputs that pass a check."""

from attnkit.decoding.beam import beam_search
from attnkit.decoding.excluding import ExcludingDecoder, beam_search_passing
from attnkit.decoding.greedy import greedy_search
from attnkit.decoding.hypothesis import Hypothesis
from attnkit.decoding.n_best import normalised_score, search_n_best
from attnkit.decoding.restricted import GrammarDecoder, RestrictedDecoder
from attnkit.decoding.search import MAX_BEAM_WIDTH, SearchConfig, search
from attnkit.decoding.step import StepDecoder

__all__ = ["MAX_BEAM_WIDTH", "ExcludingDecoder", "GrammarDecoder", "Hypothesis",
           "RestrictedDecoder", "SearchConfig", "StepDecoder", "beam_search",
           "beam_search_passing", "greedy_search", "normalised_score", "search",
           "search_n_best"]
