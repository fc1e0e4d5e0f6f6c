"""A character vocabulary shared by the source and target side of a seq2seq model.

Characters never seen in training are an error at encode time (see `SymbolVocabulary`): a date
model that meets `é` or `'` would otherwise guess without saying so.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from attnkit.data.symbol_vocab import SymbolVocabulary
from attnkit.errors import AttnkitError

PAD, UNK, START, END = "<pad>", "<unk>", "<s>", "</s>"
SPECIALS = (PAD, UNK, START, END)


class CharVocabulary(SymbolVocabulary):
    """Maps characters to ids: `<pad>`=0, `<unk>`=1, `<s>`=2, `</s>`=3, then characters."""

    specials = SPECIALS
    noun = "characters"

    def __init__(self, characters: Sequence[str]) -> None:
        for token in characters:
            if len(token) != 1:
                raise AttnkitError(f"vocabulary entry {token!r} is not a single character")
        super().__init__(characters)

    @classmethod
    def build(cls, texts: Iterable[str]) -> CharVocabulary:
        """All characters found in `texts`, in sorted order (deterministic ids)."""
        return cls(sorted(set().union(*map(set, texts))))

    def unknown_characters(self, text: str) -> list[str]:
        return sorted(set(text) - self.index.keys())

    def encode(self, text: str) -> list[int]:
        """Character ids of `text`; unseen characters raise `AttnkitError` naming them."""
        return super().encode(list(text))
