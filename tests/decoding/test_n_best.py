import itertools
import math

import pytest
import torch

from attnkit.decoding import (
    SearchConfig,
    beam_search,
    greedy_search,
    normalised_score,
    search_n_best,
)
from attnkit.errors import AttnkitError
from attnkit.models.seq2seq import Seq2seqConfig, build_seq2seq

from .test_search import END, START, MarkovDecoder, V


def markov_model(seed: int) -> MarkovDecoder:
    """A toy decoder whose outputs are made of tokens 2 and 3 only (never the start token)."""
    table = torch.randn(V, V, generator=torch.Generator().manual_seed(seed)) * 2
    table[:, START] = float("-inf")
    return MarkovDecoder(table)


def every_output(model: MarkovDecoder, max_length: int, penalty: float) -> list[tuple]:
    """(normalised score, raw score, tokens) of every output that ends within max_length steps,
    best first: the n-best lists of a beam wide enough to keep everything."""
    found = []
    for n in range(max_length):
        for body in itertools.product(range(2, V), repeat=n):
            tokens = [START, *body, END]
            raw = sum(float(model.log_table[a, b]) for a, b in itertools.pairwise(tokens))
            found.append((raw / (n + 1) ** penalty, raw, list(body)))
    return sorted(found, key=lambda entry: -entry[0])


@pytest.mark.parametrize("penalty", [0.0, 1.0])
def test_a_beam_that_keeps_everything_lists_the_true_n_best(penalty):
    for seed in range(3):
        model = markov_model(seed)
        source, lengths = torch.zeros(2, 3, dtype=torch.long), torch.tensor([3, 2])
        config = SearchConfig(beam_width=V ** 3, length_penalty=penalty)
        lists = search_n_best(model, source, lengths, START, END, 4, config, n=6)
        expected = every_output(model, 4, penalty)[:6]
        for found in lists:
            assert [h.tokens for h in found] == [tokens for _, _, tokens in expected], seed
            for hypothesis, (normalised, raw, _) in zip(found, expected, strict=True):
                assert hypothesis.finished
                assert hypothesis.score == pytest.approx(raw, abs=1e-5)
                assert normalised_score(hypothesis, penalty) == pytest.approx(normalised,
                                                                              abs=1e-5)
        assert lists[1][0].attention.shape == (len(lists[1][0].tokens), 2)


@pytest.mark.parametrize("width,penalty", [(2, 1.0), (3, 0.0), (4, 0.5), (5, 1.0)])
def test_the_first_of_the_n_best_is_the_beam_search_output(width, penalty):
    torch.manual_seed(width)
    model = build_seq2seq(9, Seq2seqConfig(embedding_size=4, hidden_size=8)).eval()
    source = torch.randint(4, 9, (5, 6))
    lengths = torch.tensor([6, 1, 3, 4, 6])
    source[torch.arange(6)[None, :] >= lengths[:, None]] = 0
    best = beam_search(model, source, lengths, 2, 3, 7, width, penalty)
    lists = search_n_best(model, source, lengths, 2, 3, 7,
                          SearchConfig(beam_width=width, length_penalty=penalty), n=width)
    for one, found in zip(best, lists, strict=True):
        assert found[0].tokens == one.tokens and found[0].finished == one.finished
        assert found[0].score == pytest.approx(one.score, abs=1e-6)
        torch.testing.assert_close(torch.from_numpy(found[0].attention),
                                   torch.from_numpy(one.attention))
        ranks = [normalised_score(h, penalty) for h in found if h.finished]
        assert ranks == sorted(ranks, reverse=True)
        assert len({tuple(h.tokens) for h in found}) == len(found) == width


def test_live_beams_fill_a_list_where_too_few_ended():
    model = markov_model(0)
    source, lengths = torch.zeros(1, 2, dtype=torch.long), torch.tensor([2])
    [found] = search_n_best(model, source, lengths, START, END, 1,
                            SearchConfig(beam_width=3), n=3)
    # one step: only the empty output can end; the two one-token outputs are cut there
    assert [h.finished for h in found] == [True, False, False]
    assert found[0].tokens == [] and sorted(h.tokens for h in found[1:]) == [[2], [3]]
    assert found[1].score >= found[2].score
    assert found[1].score == pytest.approx(float(model.log_table[START, found[1].tokens[0]]))


def test_width_one_is_greedy_and_n_may_not_exceed_the_width():
    model = markov_model(1)
    source, lengths = torch.zeros(2, 2, dtype=torch.long), torch.tensor([2, 1])
    lists = search_n_best(model, source, lengths, START, END, 5, SearchConfig(), n=1)
    greedy = greedy_search(model, source, lengths, START, END, 5)
    assert [[h.tokens for h in found] for found in lists] == [[h.tokens] for h in greedy]
    for n, width in ((2, 1), (4, 3), (0, 2)):
        with pytest.raises(AttnkitError, match=f"the {n} best outputs need a beam at least "
                           f"{n} wide .* the beam width is {width}"):
            search_n_best(model, source, lengths, START, END, 5, SearchConfig(beam_width=width),
                          n=n)
    assert math.isfinite(lists[0][0].score)
