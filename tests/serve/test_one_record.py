"""One input gives one JSON record, whether it comes from the command line (`predict --json
--include-attention`), from Python (`attnkit.load(RUN).predict([x])[0].to_record(True)`) or from
`attnkit serve` (POST /api/NAME/predict): the record is built once, by the result's
`to_record`, for every pipeline."""

import io
import json

import pytest

import attnkit
from attnkit.cli import main
from attnkit.data.molecule_render import RenderConfig, render_smiles

from ..threads import one_thread
from ..unavailable import CHEM, require_module
from .served_models import topic_run

require_module("rdkit", CHEM)


@pytest.fixture(autouse=True)
def _single_thread():
    with one_thread():
        yield


def cli_record(capsys, *argv: str) -> dict:
    assert main(["predict", *argv, "--json", "--include-attention"]) == 0
    [record] = json.loads(capsys.readouterr().out)
    return record


@pytest.mark.parametrize("run,text", [("dates", "September 27, 1994"),
                                      ("reviews", "The BAND played a new song")])
def test_a_text_gets_one_record_from_cli_python_and_serve(client, capsys, run, text):
    path = str(topic_run()) if run == "reviews" else run
    from_cli = cli_record(capsys, path, text)
    [result] = attnkit.load(path).predict([text])
    [from_server] = client.post(f"/api/{run}/predict", json={"inputs": [text]}).json()["results"]
    assert from_cli == result.to_record(include_attention=True) == from_server
    assert {"input", "output", "probability", "log_probability", "attention"} <= set(from_cli)


def test_an_image_gets_one_record_from_cli_python_and_serve(client, capsys, tmp_path):
    from PIL import Image

    path = tmp_path / "paracetamol.png"
    drawing = render_smiles("CC(=O)Nc1ccc(O)cc1", RenderConfig(image_size=200)).image
    Image.fromarray(drawing).save(path)
    from_cli = cli_record(capsys, "molecules", str(path))
    [result] = attnkit.load("molecules").predict([str(path)])
    data = io.BytesIO(path.read_bytes())
    response = client.post("/api/molecules/predict",
                           files=[("images", (str(path), data, "image/png"))])
    [from_server] = response.json()["results"]
    assert from_cli == result.to_record(include_attention=True) == from_server
    assert from_cli["input"] == str(path) and from_cli["valid"]
