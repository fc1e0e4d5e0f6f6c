"""Well-formed SMILES as a grammar for `decoding.GrammarDecoder`: given the tokens written so
far, which token may come next (the end token only where the SMILES is complete).

The rules (OpenSMILES, as RDKit reads it): a SMILES starts with an atom; a bond is followed by
an atom or, right after an atom, a ring-bond label; ring-bond labels (`1`, `%12`) follow an atom
or its other ring bonds, and either open a free label or close an open one (never onto the same
atom or onto an atom it is already bonded to); a branch `(` follows an atom, a ring bond or
another branch and holds a bond or an atom first; `)` closes an open branch after an atom;
`.` and the end come only after a complete fragment (no open branch, no open ring, no dangling
bond). With `valence`, each organic-subset atom (`B C N O P S F Cl Br I`, upper case) takes
no more explicit bond order than RDKit allows it (C 4, N 3, O 2, ...); aromatic, bracket and
wildcard atoms are not counted, as their valence depends on what RDKit perceives.

The parser is a state machine updated once per token. `SmilesGrammar` remembers the state of
each recent prefix (a search extends its prefixes one token a step) and the allowed tokens of
each state up to renumbering of its atoms, so a search step costs one transition per row.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Sequence
from typing import NamedTuple

START, ATOM, BOND, CHAIN_BOND, OPEN, CLOSE, DOT = range(7)  # what the last token was
UNLIMITED = 99
MAX_VALENCE = {"B": 3, "C": 4, "N": 3, "O": 2, "P": 5, "S": 6, "F": 1, "Cl": 1, "Br": 1, "I": 5}
BOND_ORDERS = {"-": 1, "/": 1, "\\": 1, ":": 1, "=": 2, "#": 3, "$": 4}
OTHER_ATOMS = re.compile(r"\[[^\[\]]+\]|[bcnops*]")
RING_LABEL = re.compile(r"[0-9]|%[0-9]{2}")


class ParseState(NamedTuple):
    """Where a SMILES prefix stands. `kind`: the last token's role (START, ATOM (an atom or a
    ring bond), BOND (right after an atom), CHAIN_BOND (after a branch bracket), OPEN, CLOSE,
    DOT); atoms are numbered in writing order; `current`: the atom the next bond starts from
    (-1 for none); `neighbours`: atoms bonded to it; `branches`: the branch atoms of the open
    `(`, innermost last; `rings`: (label, atom, bond order or 0) of each open ring bond;
    `free`: (atom, bond order it can still take) for each atom that can still bond and has a
    valence limit; `bond`: the order of a bond written and not yet used (0 for none)."""

    kind: int = START
    atoms: int = 0
    current: int = -1
    neighbours: frozenset[int] = frozenset()
    branches: tuple[int, ...] = ()
    rings: tuple[tuple[int, int, int], ...] = ()
    free: tuple[tuple[int, int], ...] = ()
    bond: int = 0

    def left(self, atom: int) -> int:
        return dict(self.free).get(atom, UNLIMITED)

    def complete(self) -> bool:
        return self.kind in (ATOM, CLOSE) and not self.branches and not self.rings

    def live(self) -> bool:
        """Whether some SMILES starts with this state. Only a saturated atom can end a prefix's
        future (`...C(Cl` with an open ring: the Cl can bond no more): then the way on is back
        through the open branches, to a branch atom that can still bond or to the end."""
        if self.kind not in (ATOM, CLOSE) or self.complete() or self.left(self.current) >= 1:
            return True
        return any(self.left(atom) >= 1 for atom in self.branches) or \
            (bool(self.branches) and not self.rings)


class TokenKind(NamedTuple):
    role: str  # atom, bond, ring, open, close, dot; anything else is never allowed
    value: int = 0  # atom: its valence limit; bond: its order; ring: its label


def token_kind(token: str, valence: bool = True) -> TokenKind:
    if token in MAX_VALENCE:
        return TokenKind("atom", MAX_VALENCE[token] if valence else UNLIMITED)
    if OTHER_ATOMS.fullmatch(token):
        return TokenKind("atom", UNLIMITED)
    if token in BOND_ORDERS:
        return TokenKind("bond", BOND_ORDERS[token])
    if RING_LABEL.fullmatch(token):
        return TokenKind("ring", int(token.lstrip("%")))
    return TokenKind({"(": "open", ")": "close", ".": "dot"}.get(token, "never"))


def with_free(state: ParseState, changes: dict[int, int], live: set[int]) -> tuple:
    """`state.free` with the atoms in `changes` set, keeping only the atoms in `live`."""
    free = dict(state.free)
    free.update(changes)
    return tuple(sorted((atom, n) for atom, n in free.items() if atom in live))


def live_atoms(current: int, branches: tuple[int, ...], rings: tuple) -> set[int]:
    return {current, *branches, *(atom for _, atom, _ in rings)}


def add_atom(state: ParseState, limit: int) -> ParseState | None:
    """The state after an atom with valence `limit`, bonded to the current atom (if any)."""
    order = state.bond or 1
    new = state.atoms
    changes = {} if limit == UNLIMITED else {new: limit}
    if state.current >= 0:
        if state.left(state.current) < order or limit < order:
            return None
        if state.current in dict(state.free):
            changes[state.current] = state.left(state.current) - order
        if new in changes:
            changes[new] -= order
    neighbours = frozenset({state.current}) if state.current >= 0 else frozenset()
    live = live_atoms(new, state.branches, state.rings)
    return ParseState(ATOM, new + 1, new, neighbours, state.branches, state.rings,
                      with_free(state, changes, live), 0)


def ring_bond(state: ParseState, label: int) -> ParseState | None:
    """The state after the ring-bond label `label` at the current atom: it closes the open
    ring of that label or opens a new one."""
    current, rings = state.current, dict((lab, (atom, order)) for lab, atom, order in state.rings)
    if label not in rings:
        order = state.bond or 1
        if state.left(current) < order:
            return None
        rings[label] = (current, state.bond)
        changes = {current: state.left(current) - order} if current in dict(state.free) else {}
        neighbours = state.neighbours
    else:
        opener, opened = rings.pop(label)
        if opener == current or opener in state.neighbours or \
                (opened and state.bond and opened != state.bond):
            return None
        order = state.bond or opened or 1
        extra = order - (opened or 1)  # the opener gave `opened or 1` when the ring opened
        if state.left(current) < order or state.left(opener) < extra:
            return None
        changes = {atom: state.left(atom) - n for atom, n in ((current, order), (opener, extra))
                   if atom in dict(state.free)}
        neighbours = state.neighbours | {opener}
    ring_tuple = tuple(sorted((lab, atom, order) for lab, (atom, order) in rings.items()))
    live = live_atoms(current, state.branches, ring_tuple)
    return ParseState(ATOM, state.atoms, current, neighbours, state.branches, ring_tuple,
                      with_free(state, changes, live), 0)


def advance(state: ParseState, kind: TokenKind) -> ParseState | None:
    """The state after a token of `kind`, or None where the token may not come next."""
    role, last = kind.role, state.kind
    if role == "atom":  # an atom may follow anything; valence permitting
        return add_atom(state, kind.value)
    if role == "bond" and last in (ATOM, CLOSE, OPEN):
        if state.left(state.current) < kind.value:
            return None
        return state._replace(kind=BOND if last == ATOM else CHAIN_BOND, bond=kind.value)
    if role == "ring" and last in (ATOM, BOND):
        return ring_bond(state, kind.value)
    if role == "open" and last in (ATOM, CLOSE) and state.left(state.current) >= 1:
        return state._replace(kind=OPEN, branches=state.branches + (state.current,))
    if role == "close" and last in (ATOM, CLOSE) and state.branches:
        back = state.branches[-1]
        branches = state.branches[:-1]
        live = live_atoms(back, branches, state.rings)
        return ParseState(CLOSE, state.atoms, back, frozenset(), branches, state.rings,
                          with_free(state, {}, live), 0)
    if role == "dot" and state.complete():
        return ParseState(DOT, state.atoms)
    return None


class SmilesGrammar:
    """`allowed(prefix)` for `GrammarDecoder`: the ids of the tokens that may follow the token
    ids `prefix` (a tuple, without the start token), `end_id` among them where the SMILES is
    complete, none for a prefix that is not the start of a SMILES.

    `tokens` is the vocabulary (`vocab.tokens`: index = id); special tokens other than the end
    are never allowed. The states of the last `cache_size` prefixes are kept."""

    def __init__(self, tokens: Sequence[str], end_id: int, valence: bool = True,
                 cache_size: int = 1 << 15) -> None:
        self.end_id, self.cache_size = end_id, cache_size
        kinds = [token_kind(token, valence) for token in tokens]
        self.kinds = [None if i == end_id else kind for i, kind in enumerate(kinds)]
        self.ids_of: dict[TokenKind, list[int]] = {}
        for i, kind in enumerate(self.kinds):
            if kind is not None and kind.role != "never":
                self.ids_of.setdefault(kind, []).append(i)
        self.states: OrderedDict[tuple[int, ...], ParseState | None] = OrderedDict()
        self.states[()] = ParseState()
        self.allowed_by_signature: dict[tuple, tuple[int, ...]] = {}

    def __call__(self, prefix: tuple[int, ...]) -> tuple[int, ...]:
        state = self.state(tuple(prefix))
        if state is None:
            return ()
        key = signature(state)
        if key not in self.allowed_by_signature:
            if len(self.allowed_by_signature) > 1 << 16:
                self.allowed_by_signature.clear()
            ids = [i for kind, group in self.ids_of.items()
                   if (after := advance(state, kind)) is not None and after.live()
                   for i in group]
            if state.complete():
                ids.append(self.end_id)
            self.allowed_by_signature[key] = tuple(sorted(ids))
        return self.allowed_by_signature[key]

    def state(self, prefix: tuple[int, ...]) -> ParseState | None:
        """The parse state after `prefix`, None when no SMILES starts so."""
        known = len(prefix)
        while prefix[:known] not in self.states:
            known -= 1
        state = self.states[prefix[:known]]
        self.states.move_to_end(prefix[:known])
        for end in range(known + 1, len(prefix) + 1):
            token = prefix[end - 1]
            kind = self.kinds[token] if 0 <= token < len(self.kinds) else None
            state = None if state is None or kind is None else advance(state, kind)
            self.states[prefix[:end]] = state
        while len(self.states) > self.cache_size:
            self.states.popitem(last=False)
        if () not in self.states:
            self.states[()] = ParseState()
        return state

    def complete(self, prefix: tuple[int, ...]) -> bool:
        """Whether `prefix` is a whole SMILES (the end may follow)."""
        state = self.state(tuple(prefix))
        return state is not None and state.complete()


def signature(state: ParseState) -> tuple:
    """What the allowed next tokens depend on: a state's atoms only through their remaining
    valence (capped at the largest bond order), which open rings may close here and which
    opened at a branch atom."""
    cap = max(BOND_ORDERS.values())
    rings = tuple((label, order, atom != state.current and atom not in state.neighbours,
                   min(state.left(atom), cap), atom in state.branches)
                  for label, atom, order in state.rings)
    branches = tuple(min(state.left(atom), cap) for atom in state.branches)
    return state.kind, state.bond, min(state.left(state.current), cap), branches, rings
