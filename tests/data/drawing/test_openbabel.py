"""Open Babel drawings: known molecules with atoms where RDKit's molecule says they are; the
canvas rule checked against the ink of bonds drawn in a tint (an independent measurement); a
run of many molecules gives the drawings of each alone; no bad SMILES reaches the program."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from attnkit.data.drawing import openbabel
from attnkit.data.drawing.layout_fit import fit_layout
from attnkit.data.drawing.molfile import read_sd_records
from attnkit.data.drawing.openbabel import (
    OpenBabelStyle,
    draw_openbabel,
    draw_openbabel_many,
    render_openbabel_many,
)
from attnkit.data.drawing.tint import untinted
from attnkit.errors import AttnkitError

from .depiction_checks import KNOWN, check_picture, check_positions, toolkit_missing

NAMES = sorted(KNOWN)


@pytest.fixture
def obabel() -> str:
    program = shutil.which("obabel")
    if program is None:
        toolkit_missing("Open Babel is not installed (apt-get install openbabel)")
    return program


def test_defaults_draw_known_molecules_with_positions(obabel: str) -> None:
    drawings = draw_openbabel_many([KNOWN[n] for n in NAMES], np.random.default_rng(0),
                                   size=None, defaults=True)
    for name, depiction in zip(NAMES, drawings, strict=True):
        check_picture(depiction, 300)
        check_positions(depiction, KNOWN[name], carbon_on_ink=1.0)


@pytest.mark.parametrize("seed", range(3))
def test_random_styles_draw_known_molecules(obabel: str, seed: int) -> None:
    drawings = draw_openbabel_many([KNOWN[n] for n in NAMES], np.random.default_rng(seed),
                                   size=200, per_style=2)
    for name, depiction in zip(NAMES, drawings, strict=True):
        check_picture(depiction, 200)
        if depiction.atoms is not None:  # abbreviations hide atoms: no positions then
            check_positions(depiction, KNOWN[name])


@pytest.mark.parametrize("smiles", [KNOWN["caffeine"], "CC1C2CCC(C2)C1CN(CCO)C(=O)c1ccccc1",
                                    "CCCCCCCCCCCCCCCCCCCC(=O)O"])
@pytest.mark.parametrize("pixels", [150, 400])
def test_canvas_rule_matches_the_ink_of_tinted_bonds(obabel: str, tmp_path: Path, smiles: str,
                                                     pixels: int) -> None:
    """All bonds drawn in a tint (-xB); the single bonds' ink locates the layout on its own."""
    listing = tmp_path / "one.smi"
    listing.write_text(f"{smiles} 0\n")
    layout = subprocess.run([obabel, str(listing), "-osdf", "--gen2d"], capture_output=True,
                            text=True, check=True, timeout=60).stdout
    (record,) = read_sd_records(layout)
    picture = tmp_path / "one.png"
    subprocess.run([obabel, str(listing), "-O", str(picture), "-xd", "-xp", str(pixels),
                    "-xB", "#00001a"], capture_output=True, check=True, timeout=60)
    _, ink = untinted(np.asarray(Image.open(picture).convert("RGB"), dtype=np.float64), 26.0)
    predicted = openbabel.atom_pixels(record, pixels)
    bond_pixels = np.median(np.linalg.norm(predicted[record.bonds[:, 0]]
                                           - predicted[record.bonds[:, 1]], axis=1))
    found = fit_layout(record.coordinates * [1, -1], record.bonds, ink,
                       bond_pixels / record.mean_bond_length())
    assert found is not None
    np.testing.assert_allclose(predicted, found, atol=0.6)


def test_a_run_of_many_gives_each_drawing_as_alone(obabel: str) -> None:
    """The table Open Babel draws is cut back exactly, and a molecule it cannot lay out (ions
    without bonds) leaves the others in their places."""
    style = OpenBabelStyle(carbons="all", thick_lines=True)
    smiles = [KNOWN["benzene"], "[NH4+].[Cl-]", KNOWN["stereo"], KNOWN["caffeine"]]
    together = render_openbabel_many(smiles, style, size=160)
    assert together[1] is None
    for text, depiction in zip(smiles, together, strict=True):
        if depiction is not None:
            (alone,) = render_openbabel_many([text], style, size=160)
            assert np.array_equal(depiction.image, alone.image)
            assert np.array_equal(depiction.atoms, alone.atoms)


def test_the_same_seed_gives_the_same_drawings(obabel: str) -> None:
    smiles = [KNOWN[n] for n in NAMES]
    first = draw_openbabel_many(smiles, np.random.default_rng(7), 128, per_style=2)
    again = draw_openbabel_many(smiles, np.random.default_rng(7), 128, per_style=2)
    assert all(np.array_equal(a.image, b.image) for a, b in zip(first, again, strict=True))


def test_abbreviations_hide_atoms_and_positions(obabel: str) -> None:
    (depiction,) = render_openbabel_many(["OC(=O)c1ccccc1C(F)(F)F"],
                                         OpenBabelStyle(abbreviations=True), 200)
    check_picture(depiction, 200)
    assert depiction.atoms is None


@pytest.mark.parametrize("smiles", ["CCO; touch /tmp/attnkit-owned", "C$(touch x)", "CC`id`",
                                    "CCO\nCCN", "CCO extra", "-xp 999"])
def test_bad_smiles_are_refused_before_any_program_runs(monkeypatch: pytest.MonkeyPatch,
                                                        smiles: str) -> None:
    def no_program(*args: object, **kwargs: object) -> None:
        raise AssertionError("a program ran")

    monkeypatch.setattr(openbabel.subprocess, "run", no_program)
    with pytest.raises(AttnkitError, match="SMILES"):
        draw_openbabel(smiles, np.random.default_rng(0))
    with pytest.raises(AttnkitError, match="SMILES"):  # also when it is not the first
        draw_openbabel_many(["CCO", smiles], np.random.default_rng(0))
