"""The vocabulary of a sequence model: four special tokens, then the symbols seen in training.

Symbols never seen when the vocabulary was built are an error at encode time (`AttnkitError`
naming them), never a silent `<unk>`: a model that meets them would otherwise guess without
saying so. `<unk>` keeps its id so that vocabularies stay compatible across pipelines.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import ClassVar

from attnkit.errors import AttnkitError


class SymbolVocabulary:
    """Ids: pad=0, unk=1, start=2, end=3 (`specials`), then the symbols in the order given."""

    specials: ClassVar[tuple[str, str, str, str]] = ("<pad>", "<unk>", "<s>", "</s>")
    noun: ClassVar[str] = "symbols"  # what the error message calls unseen symbols

    def __init__(self, symbols: Sequence[str]) -> None:
        entries = list(self.specials) + list(symbols)
        if len(set(entries)) != len(entries):
            raise AttnkitError(f"vocabulary {self.noun} must be distinct and not special tokens")
        self.tokens = entries
        self.index = {token: i for i, token in enumerate(entries)}

    @classmethod
    def from_list(cls, tokens: Sequence[str]) -> SymbolVocabulary:
        """Rebuild from `to_list()` (as stored in checkpoint meta)."""
        count = len(cls.specials)
        if tuple(tokens[:count]) != cls.specials:
            raise AttnkitError(f"stored vocabulary must start with {cls.specials}, "
                               f"got {list(tokens[:count])}")
        return cls(tokens[count:])

    def to_list(self) -> list[str]:
        return list(self.tokens)

    def __len__(self) -> int:
        return len(self.tokens)

    @property
    def pad_id(self) -> int:
        return 0

    @property
    def start_id(self) -> int:
        return 2

    @property
    def end_id(self) -> int:
        return 3

    def encode(self, symbols: Sequence[str]) -> list[int]:
        """Ids of `symbols`; symbols never seen in training raise `AttnkitError` naming them."""
        unknown = sorted({symbol for symbol in symbols if symbol not in self.index})
        if unknown:
            raise AttnkitError(f"{''.join(symbols)!r} has {self.noun} never seen in training: "
                               f"{' '.join(map(repr, unknown))}")
        return [self.index[symbol] for symbol in symbols]

    def decode_tokens(self, ids: Iterable[int]) -> list[str]:
        """Symbols of `ids`, stopping at the end token and skipping the other special tokens."""
        symbols = []
        for token_id in ids:
            token = self.tokens[int(token_id)]
            if token == self.specials[3]:
                break
            if token not in self.specials:
                symbols.append(token)
        return symbols

    def decode(self, ids: Iterable[int]) -> str:
        return "".join(self.decode_tokens(ids))
