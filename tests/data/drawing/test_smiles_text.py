"""Only SMILES characters reach another program."""

from __future__ import annotations

import pytest

from attnkit.data.drawing.smiles_text import check_smiles_text
from attnkit.errors import AttnkitError


@pytest.mark.parametrize("smiles", ["c1ccccc1", "C[C@H](N)C(=O)O", "CC(=O)[O-].[Na+]",
                                    "F/C=C/F", "C%12CC%12", "[2H]C(Cl)(Br)I", "*C"])
def test_real_smiles_pass(smiles: str) -> None:
    check_smiles_text(smiles)


@pytest.mark.parametrize("smiles", ["CCO; rm -rf /", "C$(ls)", "C`id`", "CC|cat", "C&C", "C>C",
                                    "CCO\nCC", "CCO name", "CC'O", 'C"C', "-xp 9", "", "C\tC"])
def test_shell_and_file_characters_are_refused(smiles: str) -> None:
    with pytest.raises(AttnkitError):
        check_smiles_text(smiles)
