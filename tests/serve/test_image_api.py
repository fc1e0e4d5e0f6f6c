"""POST /api/molecules/predict with uploaded images, the built-in examples, RDKit's drawings,
and every bad upload: not an image, corrupt, blank, too many pixels (refused from the header,
before decoding), too many files, too large a body, the wrong field or kind of body."""

import io
import struct
import zlib

import pytest
from PIL import Image

from attnkit.data.chem import canonical_smiles
from attnkit.serve.drawing import EXAMPLES
from attnkit.serve.limits import Limits

from .served_models import shipped

PARACETAMOL, BENZOCAINE = EXAMPLES[0], EXAMPLES[1]


def example(client, index):
    response = client.get(f"/api/molecules/examples/{index}.png")
    assert response.status_code == 200 and response.headers["content-type"] == "image/png"
    return response.content


def upload(client, *files, field="images"):
    return client.post("/api/molecules/predict",
                       files=[(field, (name, data, "image/png")) for name, data in files])


def scaled_png(data, factor):
    image = Image.open(io.BytesIO(data))
    buffer = io.BytesIO()
    image.resize((image.width * factor, image.height * factor)).save(buffer, format="PNG")
    return buffer.getvalue()


def png_header_only(width, height):
    """A PNG whose header says width x height, followed by a few bytes of pixel data: decoding
    it would fail (422), so a 413 shows that the size was refused from the header alone."""
    def chunk(kind, data, length=None):
        return (struct.pack(">I", len(data) if length is None else length) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", b"\0" * 8, 1000)


def test_examples_are_listed_and_read_as_their_molecules(client):
    listed = client.get("/api/molecules/examples").json()["examples"]
    assert [item["name"] for item in listed] == [name for name, _ in EXAMPLES]
    assert client.get("/api/dates/examples").json() == {"examples": []}
    assert client.get(f"/api/molecules/examples/{len(EXAMPLES)}.png").status_code == 404
    response = upload(client, ("p.png", example(client, 0)))
    assert response.status_code == 200
    [result] = response.json()["results"]
    assert result["valid"] and result["canonical_smiles"] == canonical_smiles(PARACETAMOL[1])
    assert result["probability"] > 0.5 and result["input"] == "p.png"
    assert len(result["attention"]) == len(result["output_tokens"]) == len(result["points"])
    assert len(result["attention"][0]) == result["grid_size"] ** 2
    canvas = result["canvas"]  # the shipped reader crops to the ink and fits it to 192 px
    assert canvas["size"] == 192 and min(canvas["crop_left"], canvas["crop_top"]) >= 0
    assert (canvas["width"], canvas["height"]) == (192, 192)  # the example, drawn at its size
    assert canvas["scale"] > 1.0 and 0 <= canvas["left"] <= canvas["top"]
    # its atoms, in the order its SMILES writes them (a reading of the turned view writes
    # them from the other end)
    assert sorted(atom["token"] for atom in result["atoms"]) == sorted("CCONCCCCOCC")


def test_a_batch_keeps_its_order_and_atoms_are_placed_in_the_image_sent(client):
    small = example(client, 0)
    response = upload(client, ("b.png", example(client, 1)), ("p2.png", scaled_png(small, 2)),
                      ("p.png", small))
    benzocaine, large, paracetamol = response.json()["results"]
    assert [r["input"] for r in (benzocaine, large, paracetamol)] == ["b.png", "p2.png", "p.png"]
    # the shipped reader reads this benzocaine drawing as its propyl homologue (its ethyl
    # group a carbon too long): a known misreading (shipped/README.md), not this test's subject
    assert benzocaine["canonical_smiles"] in (canonical_smiles(BENZOCAINE[1]),
                                              "CCCOC(=O)c1ccc(N)cc1")
    assert paracetamol["canonical_smiles"] == canonical_smiles(PARACETAMOL[1])
    assert large["canonical_smiles"] == paracetamol["canonical_smiles"]
    assert large["canvas"]["scale"] == pytest.approx(paracetamol["canvas"]["scale"] / 2,
                                                     rel=0.02)
    assert large["canvas"]["width"] == 2 * paracetamol["canvas"]["width"]
    for axis in "xy":  # pixels of each image sent: twice as far from the corner in the large
        ratio = sum(atom[axis] for atom in large["atoms"]) / \
            sum(atom[axis] for atom in paracetamol["atoms"])
        assert ratio == pytest.approx(2, rel=0.1)


def test_rdkit_draws_an_answer_and_refuses_what_does_not_parse(client):
    response = client.get("/api/drawing.svg", params={"smiles": "CC(=O)Nc1ccc(O)cc1"})
    assert response.status_code == 200 and response.headers["content-type"] == "image/svg+xml"
    assert response.text.lstrip().startswith("<?xml") and "<svg" in response.text
    response = client.get("/api/drawing.svg", params={"smiles": "C1CC(("})
    assert (response.status_code, response.json()["detail"]) == (
        422, "RDKit cannot parse the SMILES 'C1CC(('")
    assert client.get("/api/drawing.svg", params={"smiles": "C" * 501}).status_code == 422
    assert client.get("/api/drawing.svg").status_code == 422


def blank_png():
    buffer = io.BytesIO()
    Image.new("L", (64, 64), 255).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.mark.parametrize(("files", "status", "message"), [
    ([("notes.txt", b"not an image at all")], 422,
     "image 1 is not an image this server reads (PNG, JPEG, GIF, BMP, TIFF, WEBP)"),
    ([("eps.png", b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\n")], 422,
     "image 1 is not an image this server reads"),
    ([("huge.png", png_header_only(5000, 5000))], 413,
     "image 1 is 5000 x 5000 pixels, more than the limit of 12,000,000; scale it down first"),
    ([("cut.png", None)], 422, "image 1 is a corrupt or truncated image"),
    ([("ok.png", "example"), ("blank.png", blank_png())], 422,
     "blank.png: the image is blank, there is no drawing to read"),
])
def test_each_bad_image_gets_a_4xx_naming_it(client, files, status, message):
    data = example(client, 0)
    files = [(name, data if content == "example" else data[:len(data) // 2] if content is None
              else content) for name, content in files]
    response = upload(client, *files)
    assert response.status_code == status
    assert response.json()["detail"].startswith(message)


def test_wrong_field_text_field_and_json_body_are_refused(client):
    response = upload(client, ("p.png", example(client, 0)), field="image")
    assert (response.status_code, response.json()["detail"]) == (
        422, "unknown field 'image': send the images as files in the field 'images'")
    response = client.post("/api/molecules/predict", data={"images": "CCO"})
    assert response.status_code in (415, 422)
    response = client.post("/api/molecules/predict", files={"other": ("x", b"x")},
                           data={"images": "CCO"})
    assert response.status_code == 422 and "unknown field 'other'" in response.json()["detail"]
    response = client.post("/api/molecules/predict", files=[("images", ("p.png", b"x"))],
                           data={"images": "CCO"})
    assert (response.status_code, response.json()["detail"]) == (
        422, "image 1 is a text field, not a file")
    response = client.post("/api/molecules/predict", json={"inputs": ["CCO"]})
    assert response.status_code == 415
    assert response.json()["detail"] == ("model 'molecules' reads images: send them as files "
                                         "in the multipart/form-data field 'images'")


def test_upload_limits_on_files_and_body_size(serve):
    limits = Limits(max_images=2, max_upload_bytes=30_000)
    with serve([shipped("molecules")], limits) as client:
        data = example(client, 0)
        response = upload(client, *[(f"{i}.png", data) for i in range(3)])
        assert response.status_code == 400
        assert response.json()["detail"].startswith("cannot read the upload: Too many files")
        response = upload(client, ("big.png", data + b"\0" * 40_000))
        assert (response.status_code, response.json()["detail"]) == (
            413, "request body too large: the limit is 30,000 bytes")
        assert upload(client, ("p.png", data), ("q.png", data)).status_code == 200
