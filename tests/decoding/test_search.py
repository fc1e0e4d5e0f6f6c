import itertools
import math

import pytest
import torch

from attnkit.decoding import SearchConfig, beam_search, greedy_search
from attnkit.decoding.search import search as configured_search
from attnkit.models.seq2seq import Seq2seqConfig, build_seq2seq

START, END, V = 0, 1, 4


class MarkovDecoder:
    """A toy step decoder: log p(next | previous token) from a fixed table; the source is ignored
    except that source row b scales the table, and attention is uniform over real positions."""

    def __init__(self, table: torch.Tensor) -> None:
        self.log_table = torch.log_softmax(table, dim=-1)  # (V, V)

    def encode(self, source, source_lengths):
        return source_lengths

    def initial_state(self, memory):
        return torch.zeros(memory.shape[0])

    def decode_step(self, tokens, state, memory):
        S = int(memory.max())
        weights = (torch.arange(S)[None, :] < memory[:, None]).float() / memory[:, None]
        return self.log_table[tokens], state + 1, weights

    def select_state(self, state, indices):
        return state[indices]

    def select_memory(self, memory, indices):
        return memory[indices]


def brute_force(model, max_length, length_penalty):
    best = (-math.inf, None)
    for n in range(max_length):
        for body in itertools.product(range(2, V), repeat=n):
            tokens = [START, *body, END]
            raw = sum(float(model.log_table[a, b]) for a, b in itertools.pairwise(tokens))
            best = max(best, (raw / (n + 1) ** length_penalty, list(body)))
    return best


def tricky_table():
    # greedy takes token 2 first (0.5), but every continuation after 2 is poor;
    # 3 then END is the best sequence.
    table = torch.full((V, V), -10.0)
    table[START, 2], table[START, 3] = math.log(0.5), math.log(0.45)
    table[2, 2], table[2, 3], table[2, END] = 0.0, 0.0, 0.0
    table[3, END] = 0.0
    return table


def test_greedy_follows_the_argmax_chain_and_stops():
    model = MarkovDecoder(tricky_table())
    source, lengths = torch.zeros(2, 3, dtype=torch.long), torch.tensor([3, 1])
    found = greedy_search(model, source, lengths, START, END, max_length=5)
    assert found[0].tokens == [2] and found[0].finished
    expected = float(model.log_table[START, 2] + model.log_table[2, END])
    assert math.isclose(found[0].score, expected, rel_tol=1e-6)
    assert found[1].attention.shape == (1, 1) and found[0].attention.shape == (1, 3)


def test_beam_finds_what_greedy_misses():
    model = MarkovDecoder(tricky_table())
    source, lengths = torch.zeros(1, 2, dtype=torch.long), torch.tensor([2])
    greedy = greedy_search(model, source, lengths, START, END, max_length=5)[0]
    beam = beam_search(model, source, lengths, START, END, 5, beam_width=2, length_penalty=0.0)[0]
    assert beam.tokens == [3] and beam.score > greedy.score


def test_wide_beam_equals_brute_force():
    torch.manual_seed(0)
    for penalty in (0.0, 1.0):
        for trial in range(3):
            model = MarkovDecoder(torch.randn(V, V) * 2)
            source, lengths = torch.zeros(2, 2, dtype=torch.long), torch.tensor([2, 2])
            found = beam_search(model, source, lengths, START, END, 4, beam_width=V ** 3,
                                length_penalty=penalty)
            score, tokens = brute_force(model, 4, penalty)
            if tokens is not None:
                assert found[0].tokens == tokens, (penalty, trial)
                assert found[0].attention.shape == (len(tokens), 2)


def test_batched_search_equals_one_by_one():
    torch.manual_seed(1)
    model = build_seq2seq(9, Seq2seqConfig(embedding_size=4, hidden_size=8)).eval()
    source = torch.randint(4, 9, (4, 5))
    lengths = torch.tensor([5, 1, 3, 4])
    source[torch.arange(5)[None, :] >= lengths[:, None]] = 0
    for search in (lambda s, n: greedy_search(model, s, n, 2, 3, 6),
                   lambda s, n: beam_search(model, s, n, 2, 3, 6, beam_width=3)):
        together = search(source, lengths)
        for b in range(4):
            alone = search(source[b : b + 1, : lengths[b]], lengths[b : b + 1])[0]
            assert alone.tokens == together[b].tokens
            assert math.isclose(alone.score, together[b].score, rel_tol=1e-4, abs_tol=1e-4)
            assert together[b].attention.shape == (len(alone.tokens), int(lengths[b]))


def test_search_config_picks_greedy_or_beam():
    torch.manual_seed(2)
    model = build_seq2seq(9, Seq2seqConfig(embedding_size=4, hidden_size=8)).eval()
    source, lengths = torch.randint(4, 9, (3, 4)), torch.tensor([4, 4, 4])
    greedy = configured_search(model, source, lengths, 2, 3, 6, SearchConfig())
    assert [h.tokens for h in greedy] == \
        [h.tokens for h in greedy_search(model, source, lengths, 2, 3, 6)]
    beam = configured_search(model, source, lengths, 2, 3, 6,
                             SearchConfig(beam_width=3, length_penalty=0.5))
    expected = beam_search(model, source, lengths, 2, 3, 6, beam_width=3, length_penalty=0.5)
    assert [h.tokens for h in beam] == [h.tokens for h in expected]
    with pytest.raises(ValueError, match="beam_width"):
        SearchConfig(beam_width=0)
