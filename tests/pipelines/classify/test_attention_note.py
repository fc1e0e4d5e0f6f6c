"""A classifier says plainly when its attention is spread evenly (issue #27: the shipped IMDB
model gave its top word 1.1-1.5x an even share, and the CLI listed near-ties as if they meant
something)."""

import pytest

from attnkit.cli import main
from attnkit.pipelines.classify.results import Prediction


def prediction(weights):
    tokens = [f"w{i}" for i in range(len(weights))]
    return Prediction("pos", 0.9, [0.1, 0.9], weights, ["neg", "pos"], " ".join(tokens), tokens)


def test_near_even_attention_gets_a_note_and_peaked_attention_none():
    even = prediction([0.26, 0.25, 0.25, 0.24])
    assert even.attention_peak() == pytest.approx(1.04)
    assert even.near_even_note().startswith("attention is near even here: the top word has "
                                            "1.0x an even share")
    peaked = prediction([0.7, 0.1, 0.1, 0.1])
    assert peaked.attention_peak() == pytest.approx(2.8) and peaked.near_even_note() == ""
    assert prediction([1.0]).near_even_note() == ""  # one word: nothing to single out
    # a short text whose top words share the weight: under twice an even share, but singled out
    assert prediction([0.4, 0.35, 0.15, 0.1]).near_even_note() == ""


def test_the_shipped_imdb_model_says_so_in_the_terminal_and_the_html(tmp_path, capsys):
    page = tmp_path / "review.html"
    assert main(["predict", "imdb", "not bad at all, I enjoyed it", "--no-color",
                 "--html", str(page)]) == 0
    printed = capsys.readouterr().out
    notes = [line for line in printed.splitlines() if line.startswith("note ")]
    assert len(notes) == 1 and "near even" in notes[0]
    assert "Note: attention is near even here" in page.read_text(encoding="utf-8")
