import numpy as np
import pytest
from PIL import Image, ImageFile

from attnkit.data.image_text import (
    canonical_molecule_rows,
    load_row_images,
    read_image_table,
)
from attnkit.data.images import Placement, load_image, load_placed_image, to_grayscale
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


def sheet(hidden=255):
    """(4, 6) uint8: a mid-gray pixel, a black bar, and a bottom row of value `hidden` (the row
    the transparent cases hide)."""
    pixels = np.full((4, 6), 255, dtype=np.uint8)
    pixels[0, 0] = 128
    pixels[1:3, 1:5] = 0
    pixels[3] = hidden
    return pixels


SHEET = sheet()
HIDDEN = 10  # a dark value the transparent cases put under their transparent bottom row


def with_alpha(mode):
    """The sheet in `mode` (LA, PA, RGBA), its bottom row dark but fully transparent."""
    hidden = Image.fromarray(sheet(HIDDEN))
    alpha = np.full((4, 6), 255, dtype=np.uint8)
    alpha[3] = 0
    if mode == "PA":
        image = hidden.convert("P").convert("PA")
        image.putalpha(Image.fromarray(alpha))
        return image
    return Image.merge(mode, [*hidden.convert(mode[:-1]).split(), Image.fromarray(alpha)])


def floats():
    """The sheet as floats, with two pixels of no data (not a number, infinite)."""
    values = SHEET / 255 * 4 - 2.5  # -2.5 (ink) to 1.5 (paper)
    values[3, 0], values[3, 5] = np.nan, np.inf  # no data: paper
    return Image.fromarray(values.astype(np.float32))


def with_transparent_colour(mode):
    """The sheet in `mode` (P, L, RGB) whose bottom row's colour is marked transparent."""
    image = Image.fromarray(sheet(HIDDEN)).convert(mode)
    image.info["transparency"] = image.getpixel((0, 3))
    return image


# mode -> (the image, the file type that keeps that mode, the grayscale it must read as)
MODES = {
    "1": (lambda: Image.fromarray(SHEET >= 128), "png", np.where(SHEET >= 128, 255, 0)),
    "I": (lambda: Image.fromarray(1000 + SHEET.astype(np.int32) * 250), "tif", SHEET),
    "I;16": (lambda: Image.fromarray(SHEET.astype(np.uint16) * 257), "png", SHEET),
    "F": (floats, "tif", SHEET),
    "CMYK": (lambda: Image.fromarray(SHEET).convert("CMYK"), "tif", SHEET),
    "LAB": (lambda: Image.fromarray(SHEET).convert("LAB"), "tif",
            np.where(SHEET == 128, 137, SHEET)),  # its lightness: L* of 50 % gray is 53.6
    "LA": (lambda: with_alpha("LA"), "png", SHEET),
    "PA": (lambda: with_alpha("PA"), "tif", SHEET),
    "RGBA": (lambda: with_alpha("RGBA"), "png", SHEET),
    "P-transparent": (lambda: with_transparent_colour("P"), "png", SHEET),
    "L-transparent": (lambda: with_transparent_colour("L"), "png", SHEET),
    "RGB-transparent": (lambda: with_transparent_colour("RGB"), "png", SHEET),
}


@pytest.mark.parametrize("case", MODES)
def test_each_pillow_mode_reads_as_its_exact_grayscale(tmp_path, case):
    """Dark where the image has ink, white where it is transparent or has no data; a 6 x 4
    image on a 6 x 6 canvas keeps its pixels (rows 1 to 4)."""
    build, suffix, expected = MODES[case]
    image = build()
    path = save(image, tmp_path / f"image.{suffix}")
    with Image.open(path) as saved:
        assert saved.mode == image.mode  # the file kept the mode under test
    canvas = np.full((6, 6), 255, dtype=np.uint8)
    canvas[1:5] = expected
    np.testing.assert_array_equal(load_image(path, 6), canvas)


def blocks():
    """(32, 32) uint8 of 8 x 8 blocks (JPEG's own blocks, which it stores exactly when each is
    one value): black, 50 % gray and white."""
    pixels = np.full((32, 32), 255, dtype=np.uint8)
    pixels[:8, :8] = pixels[8:16, 8:16] = 0
    pixels[:8, 16:24] = pixels[24:, :16] = 128
    return pixels


@pytest.mark.parametrize("mode", ["L", "RGB", "CMYK"])
def test_jpeg_reads_as_its_grayscale_also_decoded_at_reduced_size(tmp_path, mode):
    small = save(Image.fromarray(blocks()).convert(mode), tmp_path / "small.jpg")
    np.testing.assert_array_equal(load_image(small, 32), blocks())
    large = Image.fromarray(np.kron(blocks(), np.ones((4, 4), dtype=np.uint8)))  # 128 x 128
    image, placement = load_placed_image(save(large.convert(mode), tmp_path / "large.jpg"), 32)
    np.testing.assert_array_equal(image, blocks())  # decoded at 1/4 size, in L
    assert placement == Placement(128, 128, 0.25, 0, 0)


def test_a_mode_pillow_cannot_make_grayscale_is_an_error_naming_it(tmp_path):
    premultiplied = with_alpha("LA").convert("La")  # Pillow turns La into LA only
    with pytest.raises(AttnkitError, match="scan.png is in Pillow mode La, which attnkit "
                       "cannot read as grayscale"):
        to_grayscale(premultiplied, "scan.png")


@pytest.mark.parametrize("suffix", [".png", ".jpg"])
def test_a_cropped_image_places_its_ink_and_maps_canvas_points_back(tmp_path, suffix):
    """A dark cross at a known place on a wide page with a far-away mark: read with `crop`,
    the cross fills the canvas, and its centre on the canvas maps back to where it was drawn
    (the JPEG is decoded at a reduced size: the mapping scales that back too)."""
    from PIL import Image

    from attnkit.data.images import read_image

    page = np.full((1200, 2000), 255, np.uint8)
    page[380:420, 500:800] = 0  # a cross centred at (650, 400)
    page[250:550, 630:670] = 0
    page[1100:1130, 1900:1960] = 0  # a page number far away
    path = tmp_path / f"page{suffix}"
    Image.fromarray(page).save(path, quality=95)
    canvas, placement = read_image(path, 128, crop=True)
    dark = np.argwhere(canvas < 128)
    assert dark[:, 0].min() < 10 and dark[:, 1].max() > 118  # the cross fills the canvas
    centre = np.array([dark[:, 1].mean(), dark[:, 0].mean()])
    np.testing.assert_allclose(placement.to_image(centre), [650, 400], atol=6)
    whole, _ = read_image(path, 128)
    assert (whole < 128).sum() < (canvas < 128).sum() / 4  # without the crop it is small
