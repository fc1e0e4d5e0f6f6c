import pytest
from rdkit import Chem

from attnkit.data.hiv import load_hiv
from attnkit.data.molecule_splits import hiv_split
from attnkit.errors import AttnkitError

from ..shared_data import data_dir, needs_data

needs_hiv = needs_data("hiv", "hiv_smiles.csv")
DATIVE = ("C1C[N+]23CCC[N+]4(C1)CC[S-]1->[Fe+2]567[SH+]CC[N+]58CCC[N+]6(CCC8)CC[S-]7->"
          "[Fe+2]124[SH+]CC3")


def write_hiv(folder, lines):
    (folder / "hiv").mkdir()
    (folder / "hiv" / "hiv_smiles.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_hand_made_file_keeps_usable_molecules_canonical_and_once(tmp_path):
    write_hiv(tmp_path, ["smiles", "OCC", "CCO", "C1CC", "c1ccccc1[N+](=O)[O-]", DATIVE,
                         "C" * 101, "[Na+].[O-]C(=O)c1ccccc1"])
    assert load_hiv(tmp_path) == ["CCO", "O=[N+]([O-])c1ccccc1", "O=C([O-])c1ccccc1.[Na+]"]
    assert "C" * 101 in load_hiv(tmp_path, max_heavy_atoms=101)
    for split in ("train", "val", "test"):
        assert load_hiv(tmp_path, split) == [text for text in load_hiv(tmp_path)
                                             if hiv_split(text) == split]


def test_missing_file_and_wrong_header_are_errors(tmp_path):
    with pytest.raises(AttnkitError, match="hiv_smiles.csv"):
        load_hiv(tmp_path)
    write_hiv(tmp_path, ["SMILES", "CCO"])
    with pytest.raises(AttnkitError, match="header 'smiles'"):
        load_hiv(tmp_path)


@needs_hiv
def test_real_molecules_are_canonical_bounded_and_split_by_hash():
    molecules = load_hiv(data_dir(), limit=400)
    assert len(molecules) == len(set(molecules)) == 400
    for text in molecules:
        molecule = Chem.MolFromSmiles(text)
        assert Chem.MolToSmiles(molecule) == text and molecule.GetNumHeavyAtoms() <= 100
    assert any("+" in text for text in molecules) and any("." in text for text in molecules)
    val = load_hiv(data_dir(), "val", limit=20)
    assert len(val) == 20 and {hiv_split(text) for text in val} == {"val"}
