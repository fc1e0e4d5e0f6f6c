"""CDK drawings (a JVM in this process, started on first use): known molecules with atoms
where RDKit's molecule says they are; a label-free ring at the asked bond length, centred;
abbreviations; seeds repeat."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import numpy as np
import pytest

from attnkit.data.drawing.cdk_session import JAR_FOLDER, cdk_classpath
from attnkit.errors import AttnkitError

from .depiction_checks import KNOWN, bond_length, check_picture, check_positions, toolkit_missing


@pytest.fixture(autouse=True)
def cdk_installed() -> None:
    if importlib.util.find_spec("jpype") is None:
        toolkit_missing("JPype is not installed (pip install JPype1)")
    if shutil.which("java") is None or not (JAR_FOLDER / "cdk-depict.jar").is_file():
        toolkit_missing(f"no Java or no CDK in {JAR_FOLDER} (apt-get install default-jre-headless "
                        "libcdk-java)")


@pytest.mark.parametrize("name", sorted(KNOWN))
def test_defaults_draw_known_molecules_with_positions(name: str) -> None:
    from attnkit.data.drawing.cdk import draw_cdk

    depiction = draw_cdk(KNOWN[name], np.random.default_rng(0), size=None, defaults=True)
    check_picture(depiction, None)
    check_positions(depiction, KNOWN[name], carbon_on_ink=1.0)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("name", sorted(KNOWN))
def test_random_styles_draw_known_molecules(name: str, seed: int) -> None:
    from attnkit.data.drawing.cdk import draw_cdk

    depiction = draw_cdk(KNOWN[name], np.random.default_rng(seed), size=200)
    check_picture(depiction, 200)
    if depiction.atoms is not None:  # abbreviations hide atoms: no positions then
        check_positions(depiction, KNOWN[name])


@pytest.mark.parametrize("bond", [25.0, 40.0])
def test_a_ring_without_labels_lands_centred_at_the_bond_length(bond: float) -> None:
    from attnkit.data.drawing.cdk import CdkStyle, render_cdk

    depiction = render_cdk("C1CCCCC1", CdkStyle(bond_length=bond), size=None)
    atoms, (H, W) = depiction.atoms, depiction.image.shape
    np.testing.assert_allclose((atoms.min(axis=0) + atoms.max(axis=0)) / 2, [W / 2, H / 2],
                               atol=0.6)
    assert abs(bond_length(atoms, "C1CCCCC1") - bond) < 0.2


def test_abbreviations_contract_groups_and_drop_positions() -> None:
    from attnkit.data.drawing.cdk import CdkStyle, render_cdk

    smiles = "OC(=O)c1ccc(cc1)C(F)(F)F"
    short = render_cdk(smiles, CdkStyle(abbreviations=True), size=None)
    full = render_cdk(smiles, CdkStyle(abbreviations=False), size=None)
    assert short.atoms is None
    check_positions(full, smiles)
    assert (short.image < 128).sum() < (full.image < 128).sum()  # COOH and CF3 as two labels
    nothing_to_contract = render_cdk("C1CCCCC1", CdkStyle(abbreviations=True), size=None)
    assert nothing_to_contract.atoms is not None


def test_the_same_seed_gives_the_same_drawing() -> None:
    from attnkit.data.drawing.cdk import draw_cdk

    first = draw_cdk(KNOWN["caffeine"], np.random.default_rng(3), 128)
    draw_cdk(KNOWN["stereo"], np.random.default_rng(4), 300)
    again = draw_cdk(KNOWN["caffeine"], np.random.default_rng(3), 128)
    assert np.array_equal(first.image, again.image)
    assert (first.atoms is None and again.atoms is None) or np.array_equal(first.atoms,
                                                                          again.atoms)


def test_unreadable_smiles_and_missing_jars_are_errors(tmp_path: Path) -> None:
    from attnkit.data.drawing.cdk import CdkStyle, draw_cdk

    with pytest.raises(AttnkitError):
        draw_cdk("C1CC(", np.random.default_rng(0))
    with pytest.raises(AttnkitError, match="libcdk-java"):
        cdk_classpath(tmp_path)
    with pytest.raises(ValueError, match="aromatic"):
        CdkStyle(aromatic="circles")
