"""Text coloured by attention weight: ANSI colours for a terminal and a standalone HTML page.

Both take the original text, the (start, end) character span of each token the model saw
and one weight per span, so the reader sees their own words, not the lower-cased tokens.
Colours follow `attention_scale`: how many times the uniform share (1/tokens) a weight is, on
a log scale, so attention spread evenly leaves the text white; the page has a legend.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from attnkit.viz import attention_scale  # the module, not the package's names

RESET = "\x1b[0m"
ELLIPSIS = "\u2026 "


def _scaled(weights: Sequence[float]) -> list[float]:
    return attention_scale.strength(list(weights), len(weights)).tolist()


def _pieces(
    text: str, spans: Sequence[tuple[int, int]], weights: Sequence[float]
) -> list[tuple[str, float | None]]:
    """(piece, scaled weight or None for text between tokens) from the first span on."""
    if len(spans) != len(weights):
        raise ValueError(f"{len(spans)} token spans but {len(weights)} weights")
    pieces: list[tuple[str, float | None]] = []
    position = spans[0][0] if spans else 0
    for (start, end), weight in zip(spans, _scaled(weights), strict=True):
        if start > position:
            pieces.append((text[position:start], None))
        pieces.append((text[start:end], weight))
        position = end
    if position < len(text):
        pieces.append((text[position:], None))
    return pieces


def _background(strength: float) -> tuple[int, int, int]:
    """White (0) to saturated red-orange (1)."""
    return 255, round(255 - 175 * strength), round(255 - 225 * strength)


def highlight_terminal(
    text: str,
    spans: Sequence[tuple[int, int]],
    weights: Sequence[float],
    color: bool = True,
) -> str:
    """``text`` with each token's background coloured by its weight (24-bit ANSI colours).

    Text before the first span (tokens the model did not see, e.g. cut by max_len) is
    replaced by an ellipsis. With ``color=False`` the plain text is returned.
    """
    prefix = ELLIPSIS if spans and spans[0][0] > 0 and text[: spans[0][0]].strip() else ""
    pieces = _pieces(text, spans, weights)
    if not color:
        return prefix + "".join(piece for piece, _ in pieces)
    out = [prefix]
    for piece, strength in pieces:
        if strength is None or strength < 0.05:
            out.append(piece)
        else:
            red, green, blue = _background(strength)
            out.append(f"\x1b[38;2;0;0;0;48;2;{red};{green};{blue}m{piece}{RESET}")
    return "".join(out)


def highlight_html(
    text: str,
    spans: Sequence[tuple[int, int]],
    weights: Sequence[float],
    title: str = "attention",
    caption: str = "",
) -> str:
    """A standalone HTML page showing ``text`` with tokens shaded by weight (hover: weight),
    under a legend of the colour scale; ``caption`` is a line of text above it."""
    prefix = ELLIPSIS if spans and spans[0][0] > 0 and text[: spans[0][0]].strip() else ""
    body = [html.escape(prefix)]
    raw_weights = iter(weights)
    for piece, strength in _pieces(text, spans, weights):
        escaped = html.escape(piece).replace("\n", "<br>")
        if strength is None:
            body.append(escaped)
            continue
        red, green, blue = _background(strength)
        body.append(
            f'<span style="background:rgb({red},{green},{blue})" '
            f'title="{float(next(raw_weights)):.4f}">{escaped}</span>'
        )
    return (
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
        f"<title>{html.escape(title)}</title>"
        "<style>body{font-family:sans-serif;max-width:48em;margin:2em auto;line-height:1.6}"
        "span{border-radius:3px;padding:0 1px}</style></head><body>"
        f"<h1>{html.escape(title)}</h1><p>{html.escape(caption)}</p>"
        f"{_legend(len(weights))}<p>{''.join(body)}</p></body></html>\n"
    )


def _legend(count: int) -> str:
    """The colour scale's marks as swatches: what white and each shade mean for this text."""
    swatches = []
    for mark, label in attention_scale.scale_marks(count):
        red, green, blue = _background(mark)
        swatches.append(f'<span style="background:rgb({red},{green},{blue});'
                        f'border:1px solid #ccc">{html.escape(label)}</span>')
    return (f'<p class="legend">Attention relative to an even spread over the {count} '
            f"tokens the model read: {' '.join(swatches)}</p>")
