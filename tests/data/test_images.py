import numpy as np
import pytest
from PIL import Image, ImageFile

from attnkit.data.image_text import (
    canonical_molecule_rows,
    load_row_images,
    read_image_table,
)
from attnkit.data.images import load_image
from attnkit.errors import AttnkitError


def drawing(mode: str) -> Image.Image:
    """A black bar on white (or on transparency for modes with alpha) in `mode`."""
    pixels = np.full((40, 80), 255, dtype=np.uint8)
    pixels[15:25, 10:70] = 0
    gray = Image.fromarray(pixels)
    if mode == "RGBA":
        rgba = Image.new("RGBA", gray.size, (0, 0, 0, 0))  # transparent black background
        rgba.paste((0, 0, 0, 255), (10, 15, 70, 25))
        return rgba
    if mode == "P-transparent":
        palette = gray.convert("P")
        palette.info["transparency"] = palette.getpixel((0, 0))
        return palette
    return gray.convert(mode)


@pytest.mark.parametrize("mode", ["L", "RGB", "RGBA", "P", "P-transparent", "LA", "I;16"])
def test_every_mode_becomes_the_same_grayscale_picture(tmp_path, mode):
    path = tmp_path / "image.png"
    drawing(mode).save(path)
    image = load_image(path, 64)
    assert image.shape == (64, 64) and image.dtype == np.uint8
    reference = load_image(save(drawing("L"), tmp_path / "reference.png"), 64)
    assert np.abs(image.astype(int) - reference).max() <= 2  # transparency turned white
    assert image[0, 0] == 255 and image[32, 32] < 50  # padding white, bar black, centred


def save(image: Image.Image, path):
    image.save(path)
    return path


def test_corrupt_and_non_images_are_refused(tmp_path):
    good = save(drawing("L"), tmp_path / "good.png")
    truncated = tmp_path / "truncated.png"
    truncated.write_bytes(good.read_bytes()[:60])
    with pytest.raises(AttnkitError, match="truncated.png is a corrupt or truncated image"):
        load_image(truncated, 32)
    text = tmp_path / "notes.png"
    text.write_text("not an image at all")
    with pytest.raises(AttnkitError, match="notes.png is not an image"):
        load_image(text, 32)
    with pytest.raises(AttnkitError, match="image not found"):
        load_image(tmp_path / "missing.png", 32)


def test_huge_image_is_refused_before_its_pixels_are_decoded(tmp_path, monkeypatch):
    path = save(Image.new("1", (8000, 6000)), tmp_path / "huge.png")  # 48 M pixels, tiny file

    def no_decoding(self):
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
    with pytest.raises(AttnkitError, match="8000 x 6000 pixels, more than the limit"):
        load_image(path, 64)


def write_table(tmp_path, rows: str):
    for name in ("a.png", "b.png", "c.png"):
        save(drawing("L"), tmp_path / name)
    csv_path = tmp_path / "data.csv"
    csv_path.write_text(rows)
    return csv_path


def test_table_reports_columns_and_missing_images_by_line(tmp_path):
    with pytest.raises(AttnkitError, match=r"needs the columns 'file' and 'target', found "
                       r"\['image', 'smiles'\]"):
        read_image_table(write_table(tmp_path, "image,smiles\na.png,CCO\n"))
    with pytest.raises(AttnkitError, match=r"line 3: image .*missing.png not found"):
        read_image_table(write_table(tmp_path, "file,target\na.png,CCO\nmissing.png,CC\n"))
    rows = read_image_table(write_table(tmp_path, "file,target\na.png,CCO\nb.png,OCC\n"))
    assert [(r.image.name, r.target, r.line) for r in rows] == [("a.png", "CCO", 2),
                                                                ("b.png", "OCC", 3)]
    assert load_row_images(rows, 32, "data.csv").shape == (2, 32, 32)


def test_unparsable_user_smiles_are_skipped_with_a_count_or_rejected(tmp_path):
    csv_path = write_table(tmp_path, "file,target\na.png,OCC\nb.png,C1CC(\nc.png,c1ccccc1\n")
    rows = read_image_table(csv_path)
    kept, skipped = canonical_molecule_rows(rows, csv_path, "skip")
    assert skipped == 1 and [r.target for r in kept] == ["CCO", "c1ccccc1"]  # canonical
    with pytest.raises(AttnkitError, match=r"line 3: RDKit cannot parse the SMILES 'C1CC\('"):
        canonical_molecule_rows(rows, csv_path, "reject")


def test_a_bad_image_in_a_table_names_the_csv_line(tmp_path):
    csv_path = write_table(tmp_path, "file,target\na.png,CCO\nbroken.png,CC\n")
    (tmp_path / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    with pytest.raises(AttnkitError, match="data.csv line 3: .*broken.png"):
        load_row_images(read_image_table(csv_path), 32, csv_path)
