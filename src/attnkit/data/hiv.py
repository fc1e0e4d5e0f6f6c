"""The MoleculeNet HIV molecules (DTP AIDS antiviral screen), SMILES only: a diverse set with
charges, stereo, metals, salts and large molecules, which MOSES lacks.

The file is `<data dir>/hiv/hiv_smiles.csv` (a `smiles` header, then one SMILES a line); there
is no official download of this form, so a missing file is an error saying where to put it.
Molecules are returned as RDKit canonical SMILES, each once, in file order, split by
`molecule_splits.hiv_split` (85 % train, 5 % val, 10 % test, by the hash of the SMILES).

Dropped: entries RDKit cannot parse, whose canonical SMILES does not read back as itself or
whose Kekulé SMILES in another atom order reads back differently (one entry, a dative-bond
iron complex, in the shared copy), and molecules over `max_heavy_atoms` heavy atoms. The default
100 drops 104 of 40,988 entries (0.25 %; the 99th percentile is 70 atoms): peptides, polymers
and metal clusters that no drawing at a readable scale shows, and whose 200-400 tokens would
otherwise set the length limit.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from attnkit.data.chem import require_rdkit
from attnkit.data.molecule_checks import target_canonical
from attnkit.data.molecule_splits import Split, hiv_split
from attnkit.data.sources import resolve_data_dir
from attnkit.errors import AttnkitError
from attnkit.files import read_text

HIV_FILE = Path("hiv") / "hiv_smiles.csv"
MAX_HEAVY_ATOMS = 100


def read_hiv_file(data_dir: str | Path | None = None) -> list[str]:
    """The SMILES of the HIV file as written, in file order."""
    path = resolve_data_dir(data_dir) / HIV_FILE
    if not path.is_file():
        raise AttnkitError(f"HIV file {path} not found; point --data-dir or $ATTNKIT_DATA at a "
                           f"folder holding {HIV_FILE} (a 'smiles' header, one SMILES a line)")
    lines = read_text(path).splitlines()
    if not lines or lines[0].split(",")[0].strip() != "smiles":
        raise AttnkitError(f"{path} line 1: expected the header 'smiles'")
    return [line.split(",")[0].strip() for line in lines[1:] if line.strip()]


def load_hiv(data_dir: str | Path | None = None, split: Split | None = None,
             max_heavy_atoms: int = MAX_HEAVY_ATOMS, limit: int | None = None) -> list[str]:
    """The canonical SMILES of the usable HIV molecules of `split` (all when None), each once,
    in file order; `limit` stops after that many (for tests)."""
    rng = np.random.default_rng(0)  # only picks the atom order the Kekulé check writes
    kept: dict[str, None] = {}
    for text in read_hiv_file(data_dir):
        if limit is not None and len(kept) >= limit:
            break
        canonical = usable_hiv(text, split, rng, max_heavy_atoms)
        if canonical is not None:
            kept[canonical] = None
    return list(kept)


def usable_hiv(text: str, split: Split | None, rng: np.random.Generator,
               max_heavy_atoms: int = MAX_HEAVY_ATOMS) -> str | None:
    """The canonical SMILES of one HIV entry if it is usable and of `split` (any when None)."""
    chem = require_rdkit()
    molecule = chem.MolFromSmiles(text)
    if molecule is None or molecule.GetNumHeavyAtoms() > max_heavy_atoms:
        return None
    if split is not None and hiv_split(chem.MolToSmiles(molecule)) != split:
        return None  # cheap: the full checks run only on the split's molecules
    return target_canonical(molecule, rng)
