import re

from attnkit.data.text_tokenizer import TextTokenizer
from attnkit.viz.highlight import highlight_html, highlight_terminal

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def test_terminal_colours_keep_the_original_text():
    text = "A <b>great</b> movie!"
    spans = TextTokenizer().token_spans(text)
    weights = [0.1, 0.0, 0.8, 0.0, 0.1]
    coloured = highlight_terminal(text, spans, weights)
    assert ANSI.sub("", coloured) == text
    assert "48;2;255;104;61mgreat" in coloured  # 0.8 of 5 tokens: 4x the even share
    assert highlight_terminal(text, spans, weights, color=False) == text
    assert "48;2;255;80;30mgreat" in highlight_terminal(text, spans, [0, 0, 1, 0, 0])


def test_attention_spread_evenly_is_not_painted():
    """Scaled by their maximum, these near-even weights painted every word saturated."""
    text = "a film that was fine"
    spans = TextTokenizer().token_spans(text)
    weights = [0.19, 0.21, 0.2, 0.2, 0.2]
    assert ANSI.sub("", highlight_terminal(text, spans, weights)) == text
    assert "\x1b[" not in highlight_terminal(text, spans, weights)
    page = highlight_html(text, spans, weights)
    shades = re.findall(r'background:rgb\(255,(\d+),(\d+)\)" title=', page)
    assert len(shades) == 5 and all(int(green) >= 245 for green, _ in shades)  # near white
    assert "uniform (1/5) or less" in page and "all on one" in page  # the legend


def test_unseen_front_of_a_truncated_text_becomes_an_ellipsis():
    text = "cut off words then kept words"
    spans = TextTokenizer().token_spans(text)[-2:]
    assert highlight_terminal(text, spans, [0.5, 0.5], color=False) == "\u2026 kept words"


def test_html_page_escapes_text_and_shows_weights():
    text = 'Tom & "Jerry" <script>'
    spans = TextTokenizer().token_spans(text)
    page = highlight_html(text, spans, [0.25, 0.5, 0.25], title="pos 0.9")
    assert "<script>" not in page and "&lt;" in page and "&amp;" in page
    assert 'title="0.5000">Jerry</span>' in page
    assert page.startswith("<!DOCTYPE html>") and "<title>pos 0.9</title>" in page
