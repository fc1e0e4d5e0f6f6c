import numpy as np
import pytest

from attnkit.data.molecule_render import (
    RenderConfig,
    augment_flags,
    render_cache,
    render_smiles,
    shift_image,
)
from attnkit.errors import AttnkitError

SMILES = ["CC1C2CCC(C2)C1CN(CCO)C(=O)c1ccc(Cl)cc1", "Clc1ccccc1-c1nc(-c2ccncc2)no1",
          "COc1ccc(-c2cc(=O)c3c(O)c(OC)c(OC)cc3o2)cc1O"]


def test_rendered_image_is_square_grayscale_ink_on_white():
    image = render_smiles(SMILES[0], RenderConfig(image_size=96))
    assert image.shape == (96, 96) and image.dtype == np.uint8
    assert np.median(image) == 255 and image.min() < 100  # white page, dark drawing


def test_augmentation_is_deterministic_under_a_seed():
    config = RenderConfig(image_size=64)
    first = render_smiles(SMILES[1], config, augment=True, seed=7)
    assert np.array_equal(first, render_smiles(SMILES[1], config, augment=True, seed=7))
    assert not np.array_equal(first, render_smiles(SMILES[1], config, augment=True, seed=8))
    plain = render_smiles(SMILES[1], config)
    assert np.array_equal(plain, render_smiles(SMILES[1], config))
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
    config = RenderConfig(image_size=48)
    images = render_cache(SMILES, config, tmp_path, augment=True, seed=3, workers=1)
    files = list(tmp_path.glob("*.npy"))
    assert images.shape == (3, 48, 48) and len(files) == 1
    flags = augment_flags(3, config.augment_fraction, 3)
    for i, text in enumerate(SMILES):
        expected = render_smiles(text, config, bool(flags[i]), 3 * 1_000_003 + i)
        assert np.array_equal(images[i], expected)
    stamp = files[0].stat().st_mtime_ns
    again = render_cache(SMILES, config, tmp_path, augment=True, seed=3, workers=1)
    assert np.array_equal(again, images) and files[0].stat().st_mtime_ns == stamp
    other = render_cache(SMILES, config, tmp_path, augment=False, workers=1)
    assert len(list(tmp_path.glob("*.npy"))) == 2 and other.shape == images.shape
