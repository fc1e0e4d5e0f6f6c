import numpy as np
import pytest

from attnkit.data.chem import canonical_smiles, parse_molecule
from attnkit.data.molecule_render import (
    SPATIAL_DIRECTION,
    RenderConfig,
    augment_flags,
    render_cache,
    render_smiles,
    shift_image,
    upscale_flags,
)
from attnkit.data.smiles_tokenizer import is_atom_token, tokenize_smiles
from attnkit.errors import AttnkitError

SMILES = ["CC1C2CCC(C2)C1CN(CCO)C(=O)c1ccc(Cl)cc1", "Clc1ccccc1-c1nc(-c2ccncc2)no1",
          "COc1ccc(-c2cc(=O)c3c(O)c(OC)c(OC)cc3o2)cc1O"]


def test_rendered_image_is_square_grayscale_ink_on_white():
    image = render_smiles(SMILES[0], RenderConfig(image_size=96)).image
    assert image.shape == (96, 96) and image.dtype == np.uint8
    assert np.median(image) == 255 and image.min() < 100  # white page, dark drawing


def test_augmentation_is_deterministic_under_a_seed():
    config = RenderConfig(image_size=64)
    first = render_smiles(SMILES[1], config, augment=True, seed=7).image
    assert np.array_equal(first, render_smiles(SMILES[1], config, augment=True, seed=7).image)
    assert not np.array_equal(first,
                              render_smiles(SMILES[1], config, augment=True, seed=8).image)
    plain = render_smiles(SMILES[1], config).image
    assert np.array_equal(plain, render_smiles(SMILES[1], config).image)
    assert not np.array_equal(first, plain)


def test_unparsable_smiles_is_a_clear_error():
    with pytest.raises(AttnkitError, match="cannot parse the SMILES 'C1CC'"):
        render_smiles("C1CC", RenderConfig(image_size=64))


def test_shift_fills_with_white():
    image = np.arange(16, dtype=np.uint8).reshape(4, 4)
    moved = shift_image(image, 1, -1)
    assert np.array_equal(moved[1:, :3], image[:3, 1:])
    assert (moved[0] == 255).all() and (moved[:, 3] == 255).all()


def test_cache_renders_once_and_reads_back(tmp_path):
    config = RenderConfig(image_size=48, smiles_order="spatial")
    rendered = render_cache(SMILES, config, tmp_path, augment=True, seed=3, workers=1)
    files = sorted(tmp_path.iterdir())
    assert rendered.images.shape == (3, 48, 48) and len(files) == 3
    assert rendered.atoms.shape == (3, 25, 2)  # the largest of the three has 25 atoms
    flags = augment_flags(3, config.augment_fraction, 3)
    for i, text in enumerate(SMILES):
        expected = render_smiles(text, config, bool(flags[i]), 3 * 1_000_003 + i)
        assert np.array_equal(rendered.images[i], expected.image)
        assert rendered.smiles[i] == expected.smiles
        count = len(expected.atoms)
        assert np.array_equal(rendered.atoms[i, :count], expected.atoms)
        assert np.isnan(rendered.atoms[i, count:]).all()
    stamps = [path.stat().st_mtime_ns for path in files]
    again = render_cache(SMILES, config, tmp_path, augment=True, seed=3, workers=1)
    assert np.array_equal(again.images, rendered.images) and again.smiles == rendered.smiles
    assert [path.stat().st_mtime_ns for path in files] == stamps
    other = render_cache(SMILES, config, tmp_path, augment=False, workers=1)
    assert len(list(tmp_path.iterdir())) == 6 and other.images.shape == rendered.images.shape


def test_a_cache_entry_missing_a_file_is_rendered_again(tmp_path):
    config = RenderConfig(image_size=48)
    rendered = render_cache(SMILES[:2], config, tmp_path, workers=1)
    next(tmp_path.glob("*.smiles.txt")).unlink()
    again = render_cache(SMILES[:2], config, tmp_path, workers=1)
    assert again.smiles == rendered.smiles and len(list(tmp_path.iterdir())) == 3


@pytest.mark.parametrize("damage", ["truncated images", "not npy", "fewer smiles"])
def test_a_damaged_cache_entry_is_reported_and_drawn_again(tmp_path, capsys, damage):
    config = RenderConfig(image_size=48)
    rendered = render_cache(SMILES[:2], config, tmp_path, workers=1)
    drawn = np.array(rendered.images)  # a copy: the memory map follows the file's bytes
    images, smiles = next(tmp_path.glob("*[0-9a-f].npy")), next(tmp_path.glob("*.smiles.txt"))
    if damage == "truncated images":
        images.write_bytes(images.read_bytes()[:-100])
    elif damage == "not npy":
        next(tmp_path.glob("*.atoms.npy")).write_bytes(b"not a numpy file")
    else:
        smiles.write_text(rendered.smiles[0] + "\n")
    again = render_cache(SMILES[:2], config, tmp_path, workers=1)
    assert "warning: render cache" in capsys.readouterr().err
    assert again.smiles == rendered.smiles and np.array_equal(again.images, drawn)
    assert len(list(tmp_path.iterdir())) == 3


def ink_near(image: np.ndarray, x: float, y: float, radius: int) -> bool:
    """Whether any pixel within `radius` of (x, y) is dark."""
    top, left = max(0, round(y) - radius), max(0, round(x) - radius)
    return bool((image[top: round(y) + radius + 1, left: round(x) + radius + 1] < 128).any())


@pytest.mark.parametrize("augment", [False, True])
def test_atom_positions_land_on_the_drawn_atoms(augment):
    """Every atom's position is on ink (within 3 px: its label or where its bonds meet), and
    moving the positions by a few pixels puts many of them on white paper: they are that
    precise."""
    config = RenderConfig(image_size=128, font_size_range=(11.0, 13.0),
                          smiles_order="spatial")
    for seed, text in enumerate(SMILES):
        drawing = render_smiles(text, config, augment=augment, seed=seed)
        assert len(drawing.atoms) == parse_molecule(text).GetNumAtoms()
        assert all(ink_near(drawing.image, x, y, 3) for x, y in drawing.atoms)
        moved = drawing.atoms + np.array([7.0, 7.0])
        off = sum(not ink_near(drawing.image, x, y, 1) for x, y in moved)
        assert off >= len(moved) // 3, f"{text}: only {off} moved positions are off the ink"


def test_atom_positions_follow_the_atoms_the_smiles_writes():
    """Heteroatom labels: the k-th atom of the target SMILES is drawn where its label is; a
    flipped image must move the positions with it (rotation is applied to them)."""
    config = RenderConfig(image_size=128)
    drawing = render_smiles("Clc1ccc(Br)cc1", config)
    tokens = [token for token in tokenize_smiles(drawing.smiles) if is_atom_token(token)]
    chlorine, bromine = tokens.index("Cl"), tokens.index("Br")
    # para-substituted: the two halogens are drawn farthest apart of all atom pairs
    gaps = np.linalg.norm(drawing.atoms[:, None] - drawing.atoms[None], axis=-1)
    assert np.unravel_index(gaps.argmax(), gaps.shape) in ((chlorine, bromine),
                                                           (bromine, chlorine))
    turned = render_smiles("Clc1ccc(Br)cc1", RenderConfig(image_size=128, augment_fraction=1,
                                                           max_shift=0), augment=True, seed=0)
    assert not np.allclose(turned.atoms, drawing.atoms, atol=3)
    assert all(ink_near(turned.image, x, y, 3) for x, y in turned.atoms)


def test_spatial_order_starts_leftmost_and_names_the_same_molecule():
    config = RenderConfig(image_size=128, smiles_order="spatial")
    for seed, text in enumerate(SMILES):
        drawing = render_smiles(text, config, augment=True, seed=seed)
        assert canonical_smiles(drawing.smiles) == canonical_smiles(text)
        key = drawing.atoms @ SPATIAL_DIRECTION
        assert key[0] == key.min()  # the SMILES starts at the atom furthest along -direction
    canonical = render_smiles(SMILES[0], RenderConfig(image_size=128))
    assert canonical.smiles == canonical_smiles(SMILES[0])


def test_upscaled_drawings_are_scaled_down_with_their_atoms():
    """Drawn on a larger canvas and scaled down: thinner ink than the plain drawing, the atoms
    still on it, and a plain drawing (no augmentation) is untouched by the option."""
    config = RenderConfig(image_size=128, augment_fraction=1, max_upscale=4, max_rotation=0,
                          max_shift=0, bond_width_range=(2.0, 2.0))
    plain = render_smiles(SMILES[0], RenderConfig(image_size=128))
    assert np.array_equal(render_smiles(SMILES[0], config).image, plain.image)
    small = [render_smiles(SMILES[0], config, augment=True, seed=seed) for seed in range(6)]
    inked = [(drawing.image < 128).mean() for drawing in small]
    assert min(inked) < 0.6 * (plain.image < 128).mean()  # some drawn 2-4x larger: thin lines
    for drawing in small:
        assert drawing.image.shape == (128, 128)
        assert all(ink_near(drawing.image, x, y, 3) for x, y in drawing.atoms)


def test_plain_drawings_upscaled_keep_their_orientation():
    """`upscale_plain`: a plain drawing made larger is the same picture with thinner ink (its
    atoms where the 128 px drawing has them), and only plain molecules are picked for it."""
    config = RenderConfig(image_size=128, max_upscale=4, upscale_plain=0.5)
    plain = render_smiles(SMILES[0], config)
    larger = [render_smiles(SMILES[0], config, seed=seed, upscale=True) for seed in range(6)]
    assert min((drawing.image < 128).mean() for drawing in larger) < \
        0.6 * (plain.image < 128).mean()
    for drawing in larger:
        assert drawing.smiles == plain.smiles
        assert np.abs(drawing.atoms - plain.atoms).max() < 6  # not rotated, not shifted
    augmented = augment_flags(1000, 0.5, 0)
    larger_flags = upscale_flags(augmented, 0.5, 0)
    assert not (larger_flags & augmented).any()
    assert 0.4 < larger_flags[~augmented].mean() < 0.6
    assert not upscale_flags(augmented, 0.0, 0).any()
