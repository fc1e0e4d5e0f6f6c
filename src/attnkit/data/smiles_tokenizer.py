"""Tokens of SMILES strings (atom-level regex) and of plain text, and the vocabulary of a model.

The SMILES pattern is the atom-level one of Schwaller et al. (Molecular Transformer): bracket
atoms such as `[nH]` and `[C@@H]` are one token, as are `Br`, `Cl`, ring-bond numbers `%NN`,
single ring digits, bonds and branches. Tokenising is lossless: `"".join(tokens) == text`, and a
character no token covers is an `AttnkitError` naming it and its position.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Literal

import numpy as np

from attnkit.errors import AttnkitError

SMILES_PATTERN = re.compile(
    r"(\[[^\]]+\]|Br|Cl|N|O|S|P|F|I|B|C|b|c|n|o|s|p|\(|\)|\.|=|#|-|\+|\\|/|:|~|@|\?|\*|\$"
    r"|%[0-9]{2}|[0-9])"
)
PAD, UNK, START, END = "<pad>", "<unk>", "<", ">"
SPECIALS = (PAD, UNK, START, END)
TokenizerKind = Literal["smiles", "characters"]


def tokenize_smiles(text: str) -> list[str]:
    """SMILES -> atom-level tokens whose concatenation is `text`."""
    tokens = SMILES_PATTERN.findall(text)
    if sum(map(len, tokens)) != len(text):
        position = 0
        for token in tokens:
            if not text.startswith(token, position):
                break
            position += len(token)
        raise AttnkitError(f"SMILES {text!r} has a character no SMILES token covers: "
                           f"{text[position]!r} at position {position}")
    return tokens


def tokenize(text: str, kind: TokenizerKind) -> list[str]:
    """`smiles`: atom-level SMILES tokens; `characters`: one token per character."""
    if kind == "smiles":
        return tokenize_smiles(text)
    if kind == "characters":
        return list(text)
    raise AttnkitError(f"unknown tokenizer {kind!r}; use 'smiles' or 'characters'")


def length_covering(lengths: Sequence[int], fraction: float = 0.999) -> int:
    """The smallest length that covers `fraction` of `lengths` (e.g. 99.9 % of training SMILES)."""
    if not lengths:
        raise AttnkitError("no sequences to measure a maximum length from")
    return int(np.ceil(np.quantile(np.asarray(lengths), fraction, method="higher")))


class TokenVocabulary:
    """Token ids: `<pad>`=0, `<unk>`=1, `<` (start)=2, `>` (end)=3, then the tokens.

    Tokens unseen when the vocabulary was built are an error at `encode` time (naming them),
    never a silent `<unk>`; `<unk>` keeps its id for compatibility with other vocabularies.
    """

    def __init__(self, tokens: Sequence[str]) -> None:
        entries = list(SPECIALS) + list(tokens)
        if len(set(entries)) != len(entries):
            raise AttnkitError("vocabulary tokens must be distinct and not special tokens")
        self.tokens = entries
        self.index = {token: i for i, token in enumerate(entries)}

    @classmethod
    def build(cls, token_lists: Iterable[Sequence[str]]) -> TokenVocabulary:
        """Every token in `token_lists`, sorted (deterministic ids)."""
        seen: set[str] = set()
        for tokens in token_lists:
            seen.update(tokens)
        return cls(sorted(seen))

    @classmethod
    def from_list(cls, tokens: Sequence[str]) -> TokenVocabulary:
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

    def encode(self, tokens: Sequence[str]) -> list[int]:
        """Ids of `tokens`; tokens never seen in training raise `AttnkitError` naming them."""
        unknown = sorted({token for token in tokens if token not in self.index})
        if unknown:
            raise AttnkitError(f"{''.join(tokens)!r} has tokens never seen in training: "
                               f"{' '.join(map(repr, unknown))}")
        return [self.index[token] for token in tokens]

    def decode_tokens(self, ids: Iterable[int]) -> list[str]:
        """Tokens of `ids`, stopping at the end token and skipping other special tokens."""
        tokens = []
        for token_id in ids:
            token = self.tokens[int(token_id)]
            if token == END:
                break
            if token not in SPECIALS:
                tokens.append(token)
        return tokens

    def decode(self, ids: Iterable[int]) -> str:
        return "".join(self.decode_tokens(ids))
