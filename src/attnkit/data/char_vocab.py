"""A character vocabulary shared by the source and target side of a seq2seq model.

The vocabulary holds the characters of the training pairs only. Characters never seen in
training are an error at encode time (see `SymbolVocabulary`): a date model that meets `é` or `'`
would otherwise guess without saying so. Held-out pairs are scored, never refused: `held_out()`
encodes their unseen characters as `<unk>`.
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
    unseen_as_unknown = False  # True in the `held_out()` view

    def __init__(self, characters: Sequence[str]) -> None:
        for token in characters:
            if len(token) != 1:
                raise AttnkitError(f"vocabulary entry {token!r} is not a single character")
        super().__init__(characters)

    @classmethod
    def build(cls, texts: Iterable[str]) -> CharVocabulary:
        """All characters found in `texts`, in sorted order (deterministic ids)."""
        return cls(sorted(set().union(*map(set, texts))))

    def held_out(self) -> CharVocabulary:
        """The same ids, but `encode` maps characters never seen in training to `<unk>`: for
        validation and test pairs, which are scored (such a pair cannot be right), not refused."""
        view = CharVocabulary(self.tokens[len(self.specials):])
        view.unseen_as_unknown = True
        return view

    def encode(self, text: str) -> list[int]:
        """Character ids of `text`; unseen characters raise `AttnkitError` naming them (or are
        `<unk>` in the `held_out()` view)."""
        if self.unseen_as_unknown:
            unknown = self.index[UNK]
            return [self.index.get(character, unknown) for character in text]
        return super().encode(list(text))
