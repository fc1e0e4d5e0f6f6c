import numpy as np
from PIL import Image, ImageDraw, ImageFont

from attnkit.data.chem import parse_molecule
from attnkit.data.drawing.degrade import degrade_depiction, salt_and_pepper
from attnkit.data.drawing.fonts import document_fonts
from attnkit.data.drawing.ink import crop_to_ink
from attnkit.data.drawing.rdkit_style import RdkitStyle, draw_rdkit, draw_rdkit_style

PARACETAMOL = "CC(=O)Nc1ccc(O)cc1"


def inside(box: tuple[int, int, int, int], points: np.ndarray, tolerance: float = 0) -> bool:
    left, top, right, bottom = np.array(box) + np.array([-1, -1, 1, 1]) * tolerance
    return bool(((points[:, 0] >= left) & (points[:, 0] <= right) &
                 (points[:, 1] >= top) & (points[:, 1] <= bottom)).all())


def with_label(image: np.ndarray, text: str, gap: float) -> tuple[np.ndarray, tuple]:
    """The drawing on a white page, `text` to its right at `gap` x the drawing's width, in
    letters a fifth of the drawing's height; also the text's box on the page."""
    H, W = image.shape
    fonts = document_fonts()
    size = max(10, H // 5)
    font = ImageFont.truetype(str(fonts[0]), size) if fonts else ImageFont.load_default(size)
    page = Image.new("L", (round(W * (2.2 + gap)), H + 40), 255)
    page.paste(Image.fromarray(image), (20, 20))
    draw = ImageDraw.Draw(page)
    x, y = 20 + W + gap * W, 20 + H // 2
    draw.text((x, y), text, fill=0, font=font, anchor="lm")
    return np.asarray(page), draw.textbbox((x, y), text, font=font, anchor="lm")


def test_a_compound_number_clearly_apart_is_left_out():
    molecule = parse_molecule(PARACETAMOL)
    for style in (RdkitStyle(palette="bw", bond_length=30.0),
                  RdkitStyle(carbon_labels="chain", bond_length=50.0, rotation=40.0)):
        drawing = draw_rdkit(molecule, style, None)
        page, label = with_label(drawing.image, "(37)", gap=1.0)
        cropped, box = crop_to_ink(page)
        assert inside(box, drawing.atoms + 20)
        assert box[2] < label[0]  # the number is outside the crop
        assert cropped.shape == (box[3] - box[1], box[2] - box[0])
        assert np.array_equal(cropped, page[box[1]: box[3], box[0]: box[2]])


def test_a_label_next_to_the_drawing_is_kept():
    drawing = draw_rdkit(parse_molecule(PARACETAMOL), RdkitStyle(palette="bw"), None)
    page, label = with_label(drawing.image, "12a", gap=0.1)
    _, box = crop_to_ink(page)
    assert box[2] >= label[2]


def test_the_counter_ion_of_a_salt_is_part_of_the_molecule():
    """Na+ and HCl are small and drawn apart from the rest, but within the molecule's size."""
    salts = ("CC(=O)[O-].[Na+]", "Cl.CN(C)CCCN1c2ccccc2CCc2ccccc21",
             "[Na+].[O-]C(=O)c1ccccc1", "CC[NH+](CC)CC.[Cl-]")
    for smiles in salts:
        molecule = parse_molecule(smiles)
        for style in (RdkitStyle(), RdkitStyle(rotation=90.0, bond_length=25.0),
                      RdkitStyle(palette="bw", rotation=200.0, bond_length=60.0)):
            drawing = draw_rdkit(molecule, style, None if style.bond_length > 0 else 300)
            _, box = crop_to_ink(drawing.image)
            assert inside(box, drawing.atoms), (smiles, style.rotation, box)


def test_specks_far_from_the_drawing_are_ignored():
    drawing = draw_rdkit(parse_molecule(PARACETAMOL), RdkitStyle(palette="bw"), 300)
    page = np.full((600, 600), 255, dtype=np.uint8)
    page[150:450, 150:450] = drawing.image
    clean_box = crop_to_ink(page)[1]
    noisy = salt_and_pepper(page, np.random.default_rng(0), 0.002)
    assert (noisy[:100] == 0).any()  # specks far away
    assert crop_to_ink(noisy)[1] == clean_box


def test_a_second_large_drawing_is_kept_wherever_it_is():
    drawing = draw_rdkit(parse_molecule(PARACETAMOL), RdkitStyle(palette="bw"), 200)
    page = np.full((200, 1000), 255, dtype=np.uint8)
    page[:, :200] = drawing.image
    page[:, 800:] = drawing.image
    _, box = crop_to_ink(page)
    assert box[0] < 200 and box[2] > 800


def test_the_box_of_a_plain_shape_is_its_extent_and_a_margin():
    image = np.full((100, 200), 255, dtype=np.uint8)
    image[20:60, 50:150] = 0  # 100 x 40 pixels: margin 3 % of 100
    image[95, 5] = 0  # a one-pixel speck
    cropped, box = crop_to_ink(image)
    assert box == (47, 17, 153, 63) and cropped.shape == (46, 106)


def test_a_blank_image_is_given_back_whole():
    blank = np.full((50, 70), 255, dtype=np.uint8)
    cropped, box = crop_to_ink(blank)
    assert box == (0, 0, 70, 50) and cropped.shape == (50, 70)
    light = np.full((50, 70), 230, dtype=np.uint8)  # gray paper, no ink
    assert crop_to_ink(light)[1] == (0, 0, 70, 50)


def test_every_atom_of_a_degraded_drawing_stays_in_the_crop():
    """Random styles, then canvas, stray text, noise, blur, 1 bit: the crop may cut a faint
    line end by a pixel or two (an atom at the tip of a line), never a part of the molecule."""
    molecules = ("CC(=O)Nc1ccc(O)cc1", "CC(=O)[O-].[Na+]", "OC(=O)c1ccc(cc1)C(F)(F)F",
                 "CN1CCC[C@H]1c1cccnc1", "Cl.CN(C)CCCN1c2ccccc2CCc2ccccc21",
                 "O=C(Nc1ccc(Cl)cc1)c1ccccc1O", "CCCCCCCCCC(=O)OC", "c1ccc2ccccc2c1")
    for seed in range(24):
        rng = np.random.default_rng(seed)
        molecule = parse_molecule(molecules[seed % len(molecules)])
        depiction = degrade_depiction(draw_rdkit_style(molecule, rng, None), rng)
        _, box = crop_to_ink(depiction.image)
        assert inside(box, depiction.atoms, tolerance=3), (seed, box)
