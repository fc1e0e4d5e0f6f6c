"""Pictures of what models attend to and how training went."""

from attnkit.viz.highlight import highlight_html, highlight_terminal

__all__ = ["highlight_html", "highlight_terminal"]
