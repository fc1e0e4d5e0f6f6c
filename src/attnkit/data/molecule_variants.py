"""Variants of a (MOSES) molecule that MOSES never has: stereo, charges, salts and mixtures,
and the elements I, P, B and Si.

Each variant function takes an RDKit molecule and a NumPy generator and returns a new molecule,
or None when the molecule has no site for that variant (no stereocentre, no amine, ...): the
caller draws another. Only realistic edits: the charged forms and counter-ions a catalogue or
a patent shows (nitro groups, carboxylate salts, ammonium and pyridinium salts, N-oxides,
hydrates), and the substituents that bring the rarer elements (boronic acids and pinacol
esters, silyl groups, phosphonates, aryl iodides).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from attnkit.data.chem import require_rdkit

# amines that take a proton: not amides, sulfonamides, anilines, enamines or N-N/N-O
BASIC_AMINE = ("[NX3;!$(N-[C,S,P]=[O,S,N]);!$(N-a);!$(N-[N,O]);!$(N-C=C);!$(N#*);!$(N=*)]")
PYRIDINE_N = "[nX2;H0;r6]"
BASIC_AROMATIC_N = "[nX2;H0;$([n;r6]),$(n:c:[nX3;r5])]"  # pyridines, imidazoles
AROMATIC_CH = "[c;H1]"
ARYL_NH2 = "[NX3;H2]-c"
HALOGEN = "[Cl,Br,I]"
# Substituents on an aromatic carbon (attached through their first atom)
ELEMENT_GROUPS = ("I", "B(O)O", "B1OC(C)(C)C(C)(C)O1", "[Si](C)(C)C", "O[Si](C)(C)C(C)(C)C",
                  "P(=O)(O)O", "P(=O)(OCC)OCC", "P(c1ccccc1)c1ccccc1")


def matches(molecule: Any, smarts: str) -> list[int]:
    """The first atom of every match of `smarts` in `molecule`."""
    pattern = require_rdkit().MolFromSmarts(smarts)
    return [match[0] for match in molecule.GetSubstructMatches(pattern)]


def sanitized(molecule: Any) -> Any | None:
    """`molecule` sanitised (a copy), or None when RDKit rejects it (bad valence, ...)."""
    chem = require_rdkit()
    copy = chem.Mol(molecule)
    try:
        chem.SanitizeMol(copy)
    except (ValueError, RuntimeError):
        return None
    return copy


def attach(molecule: Any, atom: int, group: str, charge: int | None = None) -> Any | None:
    """`molecule` with the group `group` (SMILES) bonded by its first atom to `atom`, which
    gives up one hydrogen, or instead takes the formal charge `charge` (an N-oxide's `[N+]`);
    None when that breaks a valence."""
    chem = require_rdkit()
    base = chem.Mol(molecule)
    chem.Kekulize(base, clearAromaticFlags=True)  # so the joined molecule re-perceives rings
    fragment = chem.MolFromSmiles(group)
    chem.Kekulize(fragment, clearAromaticFlags=True)
    joined = chem.RWMol(chem.CombineMols(base, fragment))
    joined.AddBond(atom, base.GetNumAtoms(), chem.BondType.SINGLE)
    target = joined.GetAtomWithIdx(atom)
    if charge is not None:
        target.SetFormalCharge(charge)
    elif target.GetNumExplicitHs() > 0:
        target.SetNumExplicitHs(target.GetNumExplicitHs() - 1)
    return sanitized(joined)


def edited(molecule: Any, atom: int, charge: int, hydrogens: int) -> Any | None:
    """`molecule` with `atom` given formal charge `charge` and `hydrogens` more (or fewer)
    hydrogens."""
    chem = require_rdkit()
    copy = chem.RWMol(molecule)
    target = copy.GetAtomWithIdx(atom)
    total = target.GetTotalNumHs() + hydrogens
    if total < 0:
        return None
    target.SetFormalCharge(charge)
    target.SetNoImplicit(True)
    target.SetNumExplicitHs(total)
    return sanitized(copy)


def stereo_variant(molecule: Any, rng: np.random.Generator) -> Any | None:
    """A random stereoisomer: every stereo-capable tetrahedral centre and double bond gets a
    random configuration."""
    chem = require_rdkit()
    from rdkit.Chem.EnumerateStereoisomers import (
        EnumerateStereoisomers,
        StereoEnumerationOptions,
    )

    options = StereoEnumerationOptions(onlyUnassigned=True, maxIsomers=1, unique=True,
                                       rand=int(rng.integers(2 ** 31)))
    isomers = list(EnumerateStereoisomers(molecule, options=options))
    if not isomers or chem.MolToSmiles(isomers[0]) == chem.MolToSmiles(molecule):
        return None  # nothing stereo-capable
    return isomers[0]


def nitro(molecule: Any, rng: np.random.Generator) -> Any | None:
    """An aryl amine turned into a nitro group, else a nitro group on an aromatic C-H."""
    amines = matches(molecule, ARYL_NH2)
    if amines:
        atom = int(rng.choice(amines))
        charged = edited(molecule, atom, 1, -2)
        return None if charged is None else attach_oxygens(charged, atom)
    sites = matches(molecule, AROMATIC_CH)
    return attach(molecule, int(rng.choice(sites)), "[N+](=O)[O-]") if sites else None


def attach_oxygens(molecule: Any, nitrogen: int) -> Any | None:
    """`=O` and `-[O-]` on a bare `[N+]` (an aryl amine being turned into a nitro group)."""
    chem = require_rdkit()
    copy = chem.RWMol(molecule)
    double = copy.AddAtom(chem.Atom(8))
    single = copy.AddAtom(chem.Atom(8))
    copy.GetAtomWithIdx(single).SetFormalCharge(-1)
    copy.AddBond(nitrogen, double, chem.BondType.DOUBLE)
    copy.AddBond(nitrogen, single, chem.BondType.SINGLE)
    return sanitized(copy)


def charged_variant(molecule: Any, rng: np.random.Generator) -> Any | None:
    """One charged form, its kind drawn evenly among those the molecule allows: a nitro group,
    a carboxylate on an aromatic ring (MOSES has no acids), an ammonium, a pyridinium (N-H or
    N-methyl), an N-oxide (of a pyridine or a tertiary amine)."""
    amines, pyridines = matches(molecule, BASIC_AMINE), matches(molecule, PYRIDINE_N)
    tertiary = [atom for atom in amines if molecule.GetAtomWithIdx(atom).GetTotalNumHs() == 0]
    sites = matches(molecule, AROMATIC_CH)

    def pick(atoms: list[int]) -> int:
        return int(rng.choice(atoms))

    kinds: list[Callable[[], Any | None]] = [lambda: nitro(molecule, rng)]
    if sites:
        kinds.append(lambda: attach(molecule, pick(sites), "C(=O)[O-]"))
    if amines:
        kinds.append(lambda: edited(molecule, pick(amines), 1, 1))
    if pyridines:
        kinds.append(lambda: edited(molecule, pick(pyridines), 1, 1)
                     if rng.random() < 0.5 else attach(molecule, pick(pyridines), "C", 1))
    if pyridines or tertiary:
        kinds.append(lambda: attach(molecule, pick(pyridines + tertiary), "[O-]", 1))
    return kinds[int(rng.integers(len(kinds)))]()


def salt_variant(molecule: Any, rng: np.random.Generator) -> Any | None:
    """A salt or mixture, its kind drawn evenly among those the molecule allows: a base (amine,
    pyridine, imidazole) as its hydrochloride or hydrobromide (written `.Cl`, or protonated
    with `.[Cl-]`), a sodium or potassium aryl carboxylate, a hydrate `.O` (also added to a
    fifth of the others)."""
    chem = require_rdkit()
    bases = matches(molecule, BASIC_AMINE) + matches(molecule, BASIC_AROMATIC_N)
    sites = matches(molecule, AROMATIC_CH)
    kinds = ["hydrate"] + ["hydrohalide"] * bool(bases) + ["carboxylate"] * bool(sites)
    kind = kinds[int(rng.integers(len(kinds)))]
    parts: list[Any | None] = [molecule]
    if kind == "hydrohalide":
        halogen = str(rng.choice(["Cl", "Cl", "Br"]))
        if rng.random() < 0.5:
            parts.append(chem.MolFromSmiles(halogen))
        else:
            parts = [edited(molecule, int(rng.choice(bases)), 1, 1),
                     chem.MolFromSmiles(f"[{halogen}-]")]
    elif kind == "carboxylate":
        parts = [attach(molecule, int(rng.choice(sites)), "C(=O)[O-]"),
                 chem.MolFromSmiles(str(rng.choice(["[Na+]", "[Na+]", "[K+]"])))]
    if kind == "hydrate" or rng.random() < 0.2:
        parts.append(chem.MolFromSmiles("O"))
    if any(part is None for part in parts):
        return None
    combined = parts[0]
    for part in parts[1:]:
        combined = chem.CombineMols(combined, part)
    return sanitized(combined)


def element_variant(molecule: Any, rng: np.random.Generator) -> Any | None:
    """A halogen swapped for another (Cl, Br, I), or an aromatic C-H given a substituent with
    I, B, Si or P (`ELEMENT_GROUPS`)."""
    chem = require_rdkit()
    halogens, sites = matches(molecule, HALOGEN), matches(molecule, AROMATIC_CH)
    if halogens and (not sites or rng.random() < 0.4):
        copy = chem.RWMol(molecule)
        atom = copy.GetAtomWithIdx(int(rng.choice(halogens)))
        atom.SetAtomicNum(int(rng.choice([n for n in (17, 35, 53) if n != atom.GetAtomicNum()])))
        return sanitized(copy)
    if not sites:
        return None
    return attach(molecule, int(rng.choice(sites)), str(rng.choice(ELEMENT_GROUPS)))
