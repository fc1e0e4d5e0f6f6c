"""OSRA as the second reader of the drawings the molecule model flags (`img2seq.osra`).

Oracles from outside the code under test: RDKit's canonical SMILES of the molecule drawn, OSRA's
own reading, and stand-in `osra` programs whose answers (molfiles RDKit writes) are known. The
shipped reader misreads triethylamine drawn by RDKit (tributylamine, flagged as unsure) and reads
aspirin surely; OSRA reads both."""

import json
import os
import re
import stat
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from attnkit.cli import main
from attnkit.data.chem import canonical_smiles
from attnkit.errors import AttnkitError
from attnkit.pipelines.img2seq.osra import osra_smiles

from ...unavailable import CHEM, require_module, require_program

OSRA = "apt-get install osra"
MISREAD, SURE = "CCN(CC)CC", "CC(=O)Oc1ccccc1C(=O)O"  # triethylamine, aspirin


def rdkit_drawing(smiles: str, mode: str = "L") -> np.ndarray:
    require_module("rdkit", CHEM)
    from rdkit import Chem
    from rdkit.Chem import Draw

    return np.asarray(Draw.MolToImage(Chem.MolFromSmiles(smiles), size=(512, 512)).convert(mode))


def stand_in_osra(folder: Path, monkeypatch, script: str) -> Path:  # noqa: ANN001
    """An `osra` on PATH that runs `script` (sh) and leaves a mark each time it is run."""
    program = folder / "osra"
    program.write_text(f"#!/bin/sh\ntouch {folder}/ran\n{script}\n")
    program.chmod(program.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
    return folder / "ran"


def molfile(smiles: str, hydrogens_on: str = "", sanitize: bool = True) -> str:
    """RDKit's molfile of `smiles` in 2-D, as OSRA writes one: its hydrogens on atoms of the
    elements in `hydrogens_on` drawn as atoms, and its double bonds with their geometry as drawn
    (no "either" mark)."""
    require_module("rdkit", CHEM)
    from rdkit import Chem
    from rdkit.Chem import AllChem

    molecule = Chem.MolFromSmiles(smiles, sanitize=sanitize)
    molecule.UpdatePropertyCache(strict=False)
    if hydrogens_on:
        molecule = Chem.AddHs(molecule, onlyOnAtoms=tuple(
            atom.GetIdx() for atom in molecule.GetAtoms() if atom.GetSymbol() in hydrogens_on))
    AllChem.Compute2DCoords(molecule)
    text = Chem.MolToMolBlock(molecule, kekulize=sanitize)
    return re.sub(r"(\n *\d+ +\d+  2)  3", r"\1  0", text)


def answering(folder: Path, smiles: str, **options: Any) -> str:
    """A stand-in osra's script that prints the molfile of `smiles` (`molfile`'s `options`),
    written to `folder`/answer.mol."""
    (folder / "answer.mol").write_text(molfile(smiles, **options))
    return f"cat {folder}/answer.mol"


def test_osra_reads_a_plain_rdkit_drawing():
    require_program("osra", install=OSRA)
    for smiles in (MISREAD, SURE):
        assert osra_smiles(rdkit_drawing(smiles)) == canonical_smiles(smiles)


def test_a_flagged_reading_takes_osras_molecule_and_a_sure_one_keeps_the_models():
    require_program("osra", install=OSRA)
    from attnkit.pipelines.img2seq.predictor import ImageReader

    reader = ImageReader.from_checkpoint("molecules")
    images = [rdkit_drawing(MISREAD), rdkit_drawing(SURE)]
    alone = reader.predict(images)
    assert alone[0].flagged and alone[0].canonical != canonical_smiles(MISREAD)
    assert not alone[1].flagged and alone[1].canonical == canonical_smiles(SURE)
    misread, sure = (reading.to_record() for reading in reader.predict(images, fallback="osra"))
    assert misread["output"] == misread["canonical_smiles"] == canonical_smiles(MISREAD)
    assert misread["read_by"] == "osra" and misread["model_output"] == alone[0].text
    assert misread["probability"] is None and misread["confidence"] is None
    assert misread["flagged"] is True and misread["atoms"] == []
    assert sure == {**alone[1].to_record(), "read_by": "attnkit"}


def test_osra_gets_the_drawing_in_its_colours_so_a_yellow_sulfur_is_read(tmp_path):
    """RDKit draws S in yellow, which turns pale in grey: OSRA reads thioanisole from the
    colours, not from their grey."""
    from PIL import Image

    from attnkit.data.images import own_size_picture

    require_program("osra", install=OSRA)
    Image.fromarray(rdkit_drawing("CSc1ccccc1", "RGBA")).save(tmp_path / "thioanisole.png")
    picture = own_size_picture(tmp_path / "thioanisole.png")
    assert picture.shape == (512, 512, 3)
    assert osra_smiles(picture) == canonical_smiles("CSc1ccccc1")
    assert osra_smiles(rdkit_drawing("CSc1ccccc1")) != canonical_smiles("CSc1ccccc1")


def test_a_transparent_picture_is_on_white_and_a_grey_one_stays_grey():
    from PIL import Image

    from attnkit.data.images import own_size_picture

    rgba = np.zeros((4, 4, 4), dtype=np.uint8)
    rgba[0, 0] = (200, 0, 0, 255)  # one opaque red pixel, the rest transparent black
    picture = own_size_picture(Image.fromarray(rgba, mode="RGBA"))
    assert picture[0, 0].tolist() == [200, 0, 0] and (picture[1:] == 255).all()
    assert own_size_picture(np.full((3, 5), 7, dtype=np.uint8)).shape == (3, 5)


@pytest.mark.parametrize("answer", [
    ("molfile", "*CCN(CC)CC"),  # an atom OSRA could not name
    ("molfile", "CC(C)(C)(C)(C)C"),  # a carbon with five bonds: a misreading RDKit rejects
    ("script", 'echo "C1CC("'),  # no molfile
    ("script", "exit 3"),  # nothing said, a failure
    ("script", "exec sleep 5"),  # past its time limit
])
def test_osras_failures_keep_the_models_reading(tmp_path, monkeypatch, answer):
    kind, text = answer
    script = answering(tmp_path, text, sanitize=False) if kind == "molfile" else text
    ran = stand_in_osra(tmp_path, monkeypatch, script)
    assert osra_smiles(rdkit_drawing(MISREAD), timeout=1.0) is None
    assert ran.exists()


def test_an_imine_hydrogen_drawn_as_an_atom_gives_no_double_bond_geometry(tmp_path, monkeypatch):
    """OSRA writes the H of an N-H it sees as an atom; RDKit would read an E/Z geometry of the
    C=N bond from where that H lies, which no drawing of the molecule states."""
    require_module("rdkit", CHEM)
    from rdkit import Chem

    script = answering(tmp_path, "CCC(C)=N", hydrogens_on="N")
    assert "/" in Chem.MolToSmiles(Chem.MolFromMolBlock((tmp_path / "answer.mol").read_text()))
    stand_in_osra(tmp_path, monkeypatch, script)
    assert osra_smiles(rdkit_drawing(MISREAD)) == canonical_smiles("CCC(C)=N")


def test_only_flagged_readings_reach_osra(tmp_path, monkeypatch):
    from attnkit.pipelines.img2seq.predictor import ImageReader

    ran = stand_in_osra(tmp_path, monkeypatch, answering(tmp_path, "C"))
    reader = ImageReader.from_checkpoint("molecules")
    [sure] = reader.predict([rdkit_drawing(SURE)], fallback="osra")
    assert sure.read_by == "attnkit" and not ran.exists()
    [misread] = reader.predict([rdkit_drawing(MISREAD)], fallback="osra")
    assert misread.read_by == "osra" and misread.text == "C" and ran.exists()


def test_the_cli_reads_flagged_files_with_osra_and_says_who_read_them(tmp_path, monkeypatch,
                                                                     capsys):
    from PIL import Image

    stand_in_osra(tmp_path, monkeypatch, answering(tmp_path, "CCN"))
    files = []
    for name, smiles in (("misread.png", MISREAD), ("sure.png", SURE)):
        Image.fromarray(rdkit_drawing(smiles)).save(tmp_path / name)
        files.append(str(tmp_path / name))
    assert main(["predict", "molecules", *files, "--fallback", "osra", "--json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert [r["read_by"] for r in records] == ["osra", "attnkit"]
    assert records[0]["output"] == "CCN" and records[1]["canonical_smiles"] == \
        canonical_smiles(SURE)
    (tmp_path / "labels.csv").write_text(f"file,target\nmisread.png,{MISREAD}\n"
                                         f"sure.png,{SURE}\n")
    assert main(["eval", "molecules", "--csv", str(tmp_path / "labels.csv"),
                 "--fallback", "osra"]) == 0
    scores = json.loads(capsys.readouterr().out)
    assert scores["read_by_osra"] == 0.5 and scores["exact_match"] == 0.5  # CCN is wrong


def test_a_fallback_the_run_cannot_use_is_one_clear_error(tmp_path, monkeypatch, capsys):
    from attnkit.pipelines.img2seq.predictor import ImageReader

    assert main(["eval", "molecules", "--fallback", "osra"]) == 1
    assert "--fallback osra reads image files: pass --csv FILE" in capsys.readouterr().err
    reader = ImageReader.from_checkpoint("molecules")
    with pytest.raises(AttnkitError, match="fallback must be one of osra"):
        reader.predict([rdkit_drawing(SURE)], fallback="imago")
    monkeypatch.setenv("PATH", str(tmp_path))  # no osra anywhere
    with pytest.raises(AttnkitError, match="apt-get install osra"):
        reader.predict([rdkit_drawing(SURE)], fallback="osra")


def test_a_server_sends_only_its_molecule_readers_flagged_drawings_to_osra(tmp_path,
                                                                          monkeypatch):
    from PIL import Image

    from attnkit.serve.inputs import NamedImage
    from attnkit.serve.served import load_served

    stand_in_osra(tmp_path, monkeypatch, answering(tmp_path, "CCN"))
    dates, molecules = load_served(["dates", "molecules"], fallback="osra")
    assert dates.fallback is None and molecules.fallback == "osra"
    records = molecules.answer([NamedImage(name, Image.fromarray(rdkit_drawing(smiles)))
                                for name, smiles in (("a.png", MISREAD), ("b.png", SURE))])
    assert [(r["input"], r["read_by"]) for r in records] == [("a.png", "osra"),
                                                            ("b.png", "attnkit")]
    assert records[0]["output"] == "CCN" and records[0]["attention"] is None
    with pytest.raises(AttnkitError, match="--fallback osra: no served model can use it"):
        load_served(["dates"], fallback="osra")
