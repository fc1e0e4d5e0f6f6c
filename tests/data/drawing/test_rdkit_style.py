import csv
from dataclasses import replace

import numpy as np
import pytest
from PIL import Image

from attnkit.data.chem import draw_molecule, parse_molecule
from attnkit.data.drawing.fonts import document_fonts
from attnkit.data.drawing.rdkit_labels import abbreviation_labels, label_carbons
from attnkit.data.drawing.rdkit_style import (
    MAX_SIDE,
    RdkitStyle,
    draw_rdkit,
    draw_rdkit_style,
    sample_rdkit_style,
)

from ...shared_data import data_file, needs_data

MOLECULES = ("CC(=O)Nc1ccc(O)cc1", "OC(=O)c1ccc(cc1)C(F)(F)F",
             "COc1ccc(cc1[N+](=O)[O-])C(=O)N[C@@H](CC(C)C)C(=O)OC", "CC(=O)[O-].[Na+]",
             "Cc1ccc(cc1)S(=O)(=O)Nc1ccccc1Br", "c1ccc2c(c1)sc1ccccc12")


def bond_lengths(molecule, atoms: np.ndarray) -> np.ndarray:
    """Drawn length of every bond (0 inside an abbreviated group)."""
    return np.array([np.linalg.norm(atoms[b.GetBeginAtomIdx()] - atoms[b.GetEndAtomIdx()])
                     for b in molecule.GetBonds()])


def darkest_near(image: np.ndarray, point: np.ndarray, radius: float) -> int:
    x, y = point
    r = int(np.ceil(radius))
    window = image[max(0, int(y) - r): int(y) + r + 1, max(0, int(x) - r): int(x) + r + 1]
    return int(window.min()) if window.size else 255


def assert_atoms_on_ink(molecule, depiction) -> None:
    """Every drawn atom has ink (a bond end or its label) within a tenth of a bond of it."""
    lengths = bond_lengths(molecule, depiction.atoms)
    bond = float(np.median(lengths[lengths > 0])) if (lengths > 0).any() else 20.0
    H, W = depiction.image.shape
    for i, point in enumerate(depiction.atoms):
        assert 0 <= point[0] <= W and 0 <= point[1] <= H, (i, point, (W, H))
        assert darkest_near(depiction.image, point, 2 + 0.1 * bond) < 160, (i, point)


def test_the_default_style_is_what_draw_mol_to_image_draws():
    from rdkit.Chem import Draw

    for smiles in MOLECULES[:3]:
        molecule = parse_molecule(smiles)
        expected = np.asarray(Draw.MolToImage(molecule, size=(300, 300)).convert("L"))
        assert np.array_equal(draw_rdkit(molecule, RdkitStyle(), 300).image, expected)


def test_atom_i_is_drawn_where_chem_draws_atom_i():
    """The same options through attnkit's first renderer (chem.draw_molecule), which reads
    RDKit's positions straight off the molecule: same picture, same atom order."""
    for smiles in MOLECULES:
        molecule = parse_molecule(smiles)
        image, positions = draw_molecule(molecule, 300, padding=0.05, font_size=6)
        depiction = draw_rdkit(molecule, RdkitStyle(palette="bw"), 300)
        assert np.array_equal(depiction.image, image)
        np.testing.assert_allclose(depiction.atoms, positions, atol=1e-4)


def test_a_style_draws_the_same_picture_every_time_and_seeds_differ():
    molecule = parse_molecule(MOLECULES[2])
    first = draw_rdkit_style(molecule, np.random.default_rng(7), 400)
    again = draw_rdkit_style(molecule, np.random.default_rng(7), 400)
    assert first.image.tobytes() == again.image.tobytes()
    assert np.array_equal(first.atoms, again.atoms)
    pictures = {draw_rdkit_style(molecule, np.random.default_rng(seed), 400).image.tobytes()
                for seed in range(6)}
    assert len(pictures) == 6


def test_atom_positions_land_on_ink_in_random_styles():
    for seed in range(18):
        rng = np.random.default_rng(seed)
        molecule = parse_molecule(MOLECULES[seed % len(MOLECULES)])
        depiction = draw_rdkit_style(molecule, rng, None if seed % 2 else 350)
        assert depiction.atoms.shape == (molecule.GetNumAtoms(), 2)
        assert_atoms_on_ink(molecule, depiction)


def test_atom_positions_land_on_ink_with_rotation_abbreviations_and_carbon_labels():
    style = RdkitStyle(abbreviations=abbreviation_labels(), rotation=33.0, carbon_labels="chain",
                       palette="cdk", gray_luma=0.2, bond_length=35.0)
    for smiles in MOLECULES:
        molecule = parse_molecule(smiles)
        assert_atoms_on_ink(molecule, draw_rdkit(molecule, style, None))


def test_rotation_moves_the_atoms_rigidly():
    """The same atoms in the same order: every distance between two atoms keeps its ratio to
    the others (RDKit fits the scale to the canvas, so it may change a little)."""
    molecule = parse_molecule(MOLECULES[4])
    plain = draw_rdkit(molecule, RdkitStyle(bond_length=30.0), None).atoms
    turned = draw_rdkit(molecule, RdkitStyle(bond_length=30.0, rotation=70.0), None).atoms
    distances = np.linalg.norm(plain[:, None] - plain[None], axis=-1)
    turned_distances = np.linalg.norm(turned[:, None] - turned[None], axis=-1)
    pairs = distances > 0
    ratios = turned_distances[pairs] / distances[pairs]
    assert abs(ratios.mean() - 1) < 0.02 and ratios.std() < 1e-3 * ratios.mean()
    assert np.abs(turned - plain).max() > 5


def test_an_abbreviated_group_is_drawn_at_its_label():
    molecule = parse_molecule("OC(=O)c1ccc(cc1)C(F)(F)F")  # CO2H: atoms 0-2, CF3: atoms 9-12
    style = RdkitStyle(abbreviations=("CO2H", "CF3"), palette="bw")
    atoms = draw_rdkit(molecule, style, 300).atoms
    assert np.array_equal(atoms[[0, 2]], atoms[[1, 1]])
    assert np.array_equal(atoms[10:13], atoms[[9, 9, 9]])
    distances = np.linalg.norm(atoms[:, None] - atoms[None], axis=-1)
    assert distances[1, 9] == distances.max()  # the two labels, at either end
    plain = draw_rdkit(molecule, RdkitStyle(palette="bw"), 300).image
    assert (plain < 128).sum() != (draw_rdkit(molecule, style, 300).image < 128).sum()


def test_carbons_are_written_with_their_hydrogens_read_from_either_side():
    molecule = parse_molecule("CC(C)c1ccccc1C=O")
    label_carbons(molecule, "chain")
    labels = {atom.GetIdx(): (atom.GetProp("_displayLabel"), atom.GetProp("_displayLabelW"))
              for atom in molecule.GetAtoms() if atom.HasProp("_displayLabel")}
    assert labels == {0: ("CH<sub>3</sub>", "H<sub>3</sub>C"), 1: ("CH", "HC"),
                      2: ("CH<sub>3</sub>", "H<sub>3</sub>C"), 9: ("CH", "HC")}
    everything = parse_molecule("c1ccccc1C")
    label_carbons(everything, "all")
    assert all(atom.HasProp("_displayLabel") for atom in everything.GetAtoms())


def test_a_yellow_sulfur_stays_dark_when_colours_turn_gray():
    """Pillow's luma turns RDKit's yellow (0.8, 0.8, 0) into 181 of 255; the darkest channel
    keeps it black."""
    molecule = parse_molecule("c1ccsc1")
    sulfur = 3
    luma = draw_rdkit(molecule, RdkitStyle(), 300)
    dark = draw_rdkit(molecule, RdkitStyle(gray_luma=0.0), 300)
    assert darkest_near(luma.image, luma.atoms[sulfur], 6) > 150
    assert darkest_near(dark.image, dark.atoms[sulfur], 6) < 60
    bw = draw_rdkit(molecule, RdkitStyle(palette="bw"), 300)
    assert darkest_near(bw.image, bw.atoms[sulfur], 6) < 60


def test_a_fitted_canvas_draws_bonds_at_the_style_length_and_stays_within_bounds():
    molecule = parse_molecule(MOLECULES[2])
    for length in (20.0, 45.0):
        atoms = draw_rdkit(molecule, RdkitStyle(bond_length=length), None).atoms
        lengths = bond_lengths(molecule, atoms)
        assert abs(np.median(lengths) / length - 1) < 0.05
    chain = parse_molecule("C" * 80)
    assert max(draw_rdkit(chain, RdkitStyle(bond_length=60.0), None).image.shape) <= MAX_SIDE
    single = draw_rdkit(parse_molecule("[Na+]"), RdkitStyle(bond_length=30.0), None)
    assert single.image.shape == (90, 90) and single.image.min() < 100


def test_a_document_font_changes_the_letters():
    fonts = document_fonts()
    if not fonts:
        pytest.skip("no DejaVu, Liberation or Nimbus font installed")
    molecule = parse_molecule(MOLECULES[0])
    built_in = draw_rdkit(molecule, RdkitStyle(), 300)
    other = draw_rdkit(molecule, RdkitStyle(font=str(fonts[-1])), 300)
    assert not np.array_equal(built_in.image, other.image)
    np.testing.assert_allclose(built_in.atoms, other.atoms, atol=3.0)  # labels fit differently


def test_sampled_styles_vary_every_option():
    styles = [sample_rdkit_style(np.random.default_rng(seed)) for seed in range(300)]
    for name in ("palette", "aromatic", "carbon_labels", "atom_indices", "stereo_labels"):
        assert len({getattr(style, name) for style in styles}) > 1, name
    assert len({style.font for style in styles}) > min(3, len(document_fonts()))
    assert any(style.abbreviations for style in styles) and any(style.legend for style in styles)
    assert 0 < sum(style.rotation != 0 for style in styles) < 300


def test_bad_styles_fail_with_a_message():
    with pytest.raises(ValueError, match="palette"):
        RdkitStyle(palette="rainbow")
    with pytest.raises(ValueError, match="gray_luma"):
        replace(RdkitStyle(), gray_luma=1.5)
    with pytest.raises(ValueError, match="bond_length"):
        RdkitStyle(bond_length=0.0)


@needs_data("hiv", "hiv_smiles.csv")
def test_diverse_molecules_draw_with_every_atom_placed():
    """HIV screen molecules: metals, charges, salts, large rings."""
    with open(data_file("hiv", "hiv_smiles.csv"), encoding="utf-8", newline="") as handle:
        smiles = [row["smiles"] for row in csv.DictReader(handle)][::1500]
    for seed, text in enumerate(smiles):
        molecule = parse_molecule(text)
        if molecule is None:
            continue
        depiction = draw_rdkit_style(molecule, np.random.default_rng(seed), None)
        assert np.isfinite(depiction.atoms).all(), text
        assert Image.fromarray(depiction.image).mode == "L"
