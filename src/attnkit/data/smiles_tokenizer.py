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

from attnkit.data.symbol_vocab import SymbolVocabulary
from attnkit.errors import AttnkitError

SMILES_PATTERN = re.compile(
    r"(\[[^\]]+\]|Br|Cl|N|O|S|P|F|I|B|C|b|c|n|o|s|p|\(|\)|\.|=|#|-|\+|\\|/|:|~|@|\?|\*|\$"
    r"|%[0-9]{2}|[0-9])"
)
# The tokens that are atoms: each stands for one atom of the molecule, in the order the SMILES
# writes them (hydrogens are implicit or inside a bracket atom)
ATOM_TOKEN = re.compile(r"\[[^\]]+\]|Br|Cl|[BCNOSPFIbcnosp]")
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


def is_atom_token(token: str) -> bool:
    """Whether a SMILES token is an atom (`C`, `n`, `Cl`, `[nH]`, ...), not a bond, a branch or a
    ring-closure digit."""
    return ATOM_TOKEN.fullmatch(token) is not None


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


class TokenVocabulary(SymbolVocabulary):
    """Token ids: `<pad>`=0, `<unk>`=1, `<` (start)=2, `>` (end)=3, then the tokens.

    Tokens unseen when the vocabulary was built are an error at `encode` time (naming them).
    """

    specials = SPECIALS
    noun = "tokens"

    @classmethod
    def build(cls, token_lists: Iterable[Sequence[str]]) -> TokenVocabulary:
        """Every token in `token_lists`, sorted (deterministic ids)."""
        seen: set[str] = set()
        for tokens in token_lists:
            seen.update(tokens)
        return cls(sorted(seen))
