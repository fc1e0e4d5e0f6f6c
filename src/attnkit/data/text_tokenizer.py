"""A word tokenizer that reproduces the Keras ``Tokenizer`` text preprocessing.

Keras (``text_to_word_sequence``) lower-cases the text, replaces every filter character
by the split character and splits on it, dropping empty strings. Reproducing it exactly
means raw text typed at predict time is tokenized the way the training data was.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from attnkit.errors import AttnkitError

KERAS_FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'

HTML_LINE_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)


@dataclass(frozen=True)
class TextTokenizer:
    """Keras-compatible word tokenizer.

    lowercase: lower-case the text first (Keras ``lower=True``).
    filters: characters replaced by ``split`` (Keras' default filters).
    split: the one separator character (Keras ``split=" "``).
    strip_html_breaks: replace ``<br />`` tags by spaces first; Keras does not (it leaves
        "br" tokens), so the seed recipe keeps this False.
    """

    lowercase: bool = True
    filters: str = KERAS_FILTERS
    split: str = " "
    strip_html_breaks: bool = False

    def __post_init__(self) -> None:
        if len(self.split) != 1:
            raise AttnkitError(f"tokenizer split must be one character, got {self.split!r}")

    def tokenize(self, text: str) -> list[str]:
        """Words of ``text`` exactly as Keras' ``text_to_word_sequence`` returns them."""
        if self.strip_html_breaks:
            text = HTML_LINE_BREAK.sub(" ", text)
        if self.lowercase:
            text = text.lower()
        text = text.translate(self._translation)
        return [word for word in text.split(self.split) if word]

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        """(start, end) character offsets in ``text`` of each token ``tokenize`` returns.

        Used to colour the original text by attention weight. Lower-casing never turns a
        character into a separator, so the runs of non-separator characters in the
        original text are exactly the tokens.
        """
        if self.strip_html_breaks:
            # Same length replacement keeps the offsets valid.
            text = HTML_LINE_BREAK.sub(lambda match: " " * len(match.group(0)), text)
        separators = re.escape(self.filters + self.split)
        return [match.span() for match in re.finditer(f"[^{separators}]+", text)]

    @cached_property
    def _translation(self) -> dict[int, str]:
        return {ord(character): self.split for character in self.filters}

    def to_dict(self) -> dict[str, object]:
        """JSON-ready settings, stored in checkpoints."""
        return {
            "lowercase": self.lowercase,
            "filters": self.filters,
            "split": self.split,
            "strip_html_breaks": self.strip_html_breaks,
        }

    @classmethod
    def from_dict(cls, settings: dict[str, object]) -> TextTokenizer:
        """The tokenizer `to_dict` described (as a checkpoint stores it): an unknown key or a
        value of the wrong type is an AttnkitError naming it."""
        if not isinstance(settings, dict):
            raise AttnkitError(f"the tokenizer settings must be an object, got "
                               f"{type(settings).__name__}")
        kinds = {"lowercase": bool, "filters": str, "split": str, "strip_html_breaks": bool}
        for key, value in settings.items():
            if key not in kinds:
                raise AttnkitError(f"the tokenizer settings have an unknown key {str(key)[:40]!r} "
                                   f"(known: {', '.join(kinds)})")
            if not isinstance(value, kinds[key]):
                raise AttnkitError(f"the tokenizer setting {key!r} must be a "
                                   f"{kinds[key].__name__}, got {str(value)[:40]!r}")
        return cls(**settings)  # type: ignore[arg-type]


def keep_last(ids: list[int], max_length: int) -> list[int]:
    """The last ``max_length`` ids, as Keras ``pad_sequences(truncating="pre")`` keeps them."""
    if max_length <= 0:
        raise AttnkitError(f"max_length must be positive, got {max_length}")
    return ids[-max_length:]
