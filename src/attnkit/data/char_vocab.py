"""A character vocabulary shared by the source and target side of a seq2seq model.

Characters never seen in training are an error at encode time (`AttnkitError` naming them),
not a silent `<unk>`: a date model that meets `é` or `'` would otherwise guess without saying so.
`<unk>` still has an id so that vocabularies stay compatible with other pipelines.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from attnkit.errors import AttnkitError

PAD, UNK, START, END = "<pad>", "<unk>", "<s>", "</s>"
SPECIALS = (PAD, UNK, START, END)


class CharVocabulary:
    """Maps characters to ids: `<pad>`=0, `<unk>`=1, `<s>`=2, `</s>`=3, then characters."""

    def __init__(self, characters: Sequence[str]) -> None:
        tokens = list(SPECIALS) + list(characters)
        if len(set(tokens)) != len(tokens):
            raise AttnkitError("vocabulary characters must be distinct and not special tokens")
        for token in characters:
            if len(token) != 1:
                raise AttnkitError(f"vocabulary entry {token!r} is not a single character")
        self.tokens = tokens
        self.index = {token: i for i, token in enumerate(tokens)}

    @classmethod
    def build(cls, texts: Iterable[str]) -> CharVocabulary:
        """All characters found in `texts`, in sorted order (deterministic ids)."""
        return cls(sorted(set().union(*map(set, texts))))

    @classmethod
    def from_list(cls, tokens: Sequence[str]) -> CharVocabulary:
        """Rebuild from `to_list()` (as stored in checkpoint meta)."""
        if tuple(tokens[: len(SPECIALS)]) != SPECIALS:
            raise AttnkitError(f"stored vocabulary must start with {SPECIALS}, got {tokens[:4]}")
        return cls(tokens[len(SPECIALS):])

    def to_list(self) -> list[str]:
        return list(self.tokens)

    def __len__(self) -> int:
        return len(self.tokens)

    @property
    def pad_id(self) -> int:
        return 0

    @property
    def start_id(self) -> int:
        return self.index[START]

    @property
    def end_id(self) -> int:
        return self.index[END]

    def unknown_characters(self, text: str) -> list[str]:
        return sorted(set(text) - self.index.keys())

    def encode(self, text: str) -> list[int]:
        """Character ids of `text`; unseen characters raise `AttnkitError` naming them."""
        unknown = self.unknown_characters(text)
        if unknown:
            raise AttnkitError(
                f"{text!r} has characters never seen in training: {' '.join(map(repr, unknown))}"
            )
        return [self.index[char] for char in text]

    def decode(self, ids: Iterable[int]) -> str:
        """Text of `ids`, stopping at `</s>` and skipping other special tokens."""
        characters = []
        for token_id in ids:
            token = self.tokens[int(token_id)]
            if token == END:
                break
            if token not in SPECIALS:
                characters.append(token)
        return "".join(characters)
