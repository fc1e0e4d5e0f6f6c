"""What a SMILES may contain before it is handed to another program."""

from __future__ import annotations

from attnkit.errors import AttnkitError

# The characters of OpenSMILES (element symbols, brackets, bonds, ring closures, charges,
# stereo, `.`, `%` ring numbers, `*`) and nothing else: no space, line break, quote, `;`, `|`,
# `&`, `>`, `<` or backquote, so a SMILES can never be read as two molecules, a title or a
# command. `$` (a quadruple bond, which no real molecule here has) is left out too: with the
# brackets it would spell a shell substitution. Programs get SMILES as data, never through a
# shell; this is the second lock.
SMILES_ALPHABET = frozenset(
    "ABCDEFGHIKLMNOPRSTUVWXYZabcdefghiklmnoprstuvy0123456789[]()=#:/\\@+-.%*")
MAX_SMILES_LENGTH = 2000


def check_smiles_text(smiles: str) -> None:
    """An AttnkitError naming the problem unless `smiles` is a non-empty string of SMILES
    characters, not starting with `-` (which a program could take for an option)."""
    if not isinstance(smiles, str) or not smiles:
        raise AttnkitError(f"not a SMILES: {smiles!r}")
    if len(smiles) > MAX_SMILES_LENGTH:
        raise AttnkitError(f"SMILES longer than {MAX_SMILES_LENGTH} characters")
    outside = sorted(set(smiles) - SMILES_ALPHABET)
    if outside:
        raise AttnkitError(f"the SMILES {smiles!r} has characters outside the SMILES alphabet: "
                           f"{''.join(outside)!r}")
    if smiles.startswith("-"):
        raise AttnkitError(f"a SMILES cannot start with '-': {smiles!r}")
