"""Searching again for outputs that pass a check, source by source, on a model whose outputs
are written down (`scripted.py`): each source has its own best output, its own next best, and
its own answer, so a search that mixes up sources, or keeps the wrong fallback, is caught."""

import pytest

from attnkit.decoding import ExcludingDecoder, beam_search, beam_search_passing
from attnkit.pipelines.img2seq.recipe import DecodeConfig
from attnkit.pipelines.img2seq.search import search_images

from .scripted import END, START, A, B, ScriptedDecoder, sources

SCRIPTS = [  # output -> probability; "passes" means: no B in it
    {(A,): 0.6, (B,): 0.3, (A, A): 0.1},          # the best passes
    {(B,): 0.5, (A, A): 0.3, (A,): 0.2},          # the second best passes
    {(B, B): 0.4, (A, B): 0.35, (A, A, A): 0.25},  # the third best passes
    {(B,): 0.7, (B, B): 0.2, (A, B): 0.1},        # none passes
]
FIRST = [(A,), (B,), (B, B), (B,)]  # each source's best output, the check aside


def passes(tokens: list[int]) -> bool:
    return B not in tokens


def outputs(found) -> list[tuple[int, ...]]:
    return [tuple(hypothesis.tokens) for hypothesis in found]


def test_the_scripted_model_is_searched_as_written():
    source, lengths = sources(4)
    found = beam_search(ScriptedDecoder(SCRIPTS), source, lengths, START, END, 5, 3, 0.0)
    assert outputs(found) == FIRST
    assert [h.score for h in found] == pytest.approx([-0.5108, -0.6931, -0.9163, -0.3567],
                                                     abs=1e-4)  # log 0.6, 0.5, 0.4, 0.7


def test_the_excluding_decoder_forbids_each_source_its_own_outputs():
    source, lengths = sources(4)
    excluded = [{(A,)}, {(B,)}, {(B, B), (A, B)}, set()]
    found = beam_search(ExcludingDecoder(ScriptedDecoder(SCRIPTS), excluded, END), source,
                        lengths, START, END, 5, 3, 0.0)
    assert outputs(found) == [(B,), (A, A), (A, A, A), (B,)]


@pytest.mark.parametrize("retries, expected", [
    (2, [(A,), (A, A), (A, A, A), (B,)]),
    (1, [(A,), (A, A), (B, B), (B,)]),  # one retry is not enough for source 2: its first
    (0, FIRST),
])
def test_beam_search_passing_keeps_the_best_that_passes_else_the_first(retries, expected):
    source, lengths = sources(4)
    found = beam_search_passing(ScriptedDecoder(SCRIPTS), source, lengths, START, END, 5, 3,
                                0.0, passes, retries)
    assert outputs(found) == expected


def test_when_every_retry_fails_the_first_output_is_kept_with_its_score():
    source, lengths = sources(1)
    never = beam_search_passing(ScriptedDecoder(SCRIPTS[3:]), source, lengths, START, END, 5,
                                3, 0.0, lambda tokens: False, 2)
    assert outputs(never) == [(B,)] and never[0].score == pytest.approx(-0.3567, abs=1e-4)


def test_prefer_valid_searches_again_only_the_failing_sources_each_for_itself():
    source, lengths = sources(4)
    decode = DecodeConfig(beam_width=3, prefer_valid=True, valid_retries=2, length_penalty=0.0)
    chosen = [best for best, _ in search_images(ScriptedDecoder(SCRIPTS), source, decode, START,
                                                END, 5, passes)]
    assert outputs(chosen) == [(A,), (A, A), (A, A, A), (B,)]
    reversed_order = [best for best, _ in search_images(
        ScriptedDecoder(SCRIPTS[::-1]), source, decode, START, END, 5, passes)]
    assert outputs(reversed_order) == [(B,), (A, A, A), (A, A), (A,)]
    plain = DecodeConfig(beam_width=3, length_penalty=0.0)
    assert outputs(best for best, _ in search_images(ScriptedDecoder(SCRIPTS), source, plain,
                                                     START, END, 5, passes)) == FIRST
