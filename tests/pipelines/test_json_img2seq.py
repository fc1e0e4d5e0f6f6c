"""`--json`, `--n-best` and `--include-attention` of `attnkit predict`/`eval` on the shipped
molecules model, checked against the text output, the Python API, log-probabilities recomputed
here by teacher forcing (one forward pass, no search) and metrics recomputed with RDKit."""

import json
import math
from pathlib import Path

import pytest
import torch
from PIL import Image

from attnkit.cli import main
from attnkit.data.molecule_render import RenderConfig, render_smiles
from attnkit.data.smiles_tokenizer import tokenize
from attnkit.pipelines.img2seq.predictor import ImageReader

from ..canvases import canvases
from ..threads import one_thread
from ..unavailable import CHEM, require_module
from .img2seq.scoring import output_log_probability

require_module("rdkit", CHEM)
MOLECULES = {"paracetamol": "CC(=O)Nc1ccc(O)cc1", "ethanol": "CCO", "aspirin":
             "CC(=O)Oc1ccccc1C(=O)O"}


@pytest.fixture(scope="module")
def reader():
    with one_thread():
        yield ImageReader.from_checkpoint("molecules")


@pytest.fixture(scope="module")
def images(tmp_path_factory) -> list[Path]:
    folder = tmp_path_factory.mktemp("drawings")
    paths = []
    for name, smiles in MOLECULES.items():
        paths.append(folder / f"{name}.png")
        Image.fromarray(render_smiles(smiles, RenderConfig(image_size=200)).image).save(paths[-1])
    return paths


def run(argv: list[str], capsys) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def canonical(smiles: str) -> str | None:
    from rdkit import Chem, RDLogger

    RDLogger.DisableLog("rdApp.*")
    molecule = Chem.MolFromSmiles(smiles) if smiles else None
    return None if molecule is None else Chem.MolToSmiles(molecule)


def test_json_holds_what_the_text_output_says_errors_in_place(images, tmp_path, capsys):
    notes = tmp_path / "notes.png"
    notes.write_text("hello")
    given = [str(images[0]), str(notes), str(images[1])]
    code, text, err_text = run(["predict", "molecules", *given], capsys)
    assert code == 1
    code, out, err = run(["predict", "molecules", *given, "--json"], capsys)
    assert code == 1 and err == err_text and err.count("\n") == 1
    records = json.loads(out)
    assert [r["input"] for r in records] == given
    assert set(records[1]) == {"input", "error"} and f"error: {records[1]['error']}\n" == err
    # the shipped reader is calibrated: its text lines end in its confidence and flag
    assert text.splitlines() == [
        f"{r['input']}\t{r['output']}\t{r['probability']}\t{r['confidence']}\t{r['flagged']}"
        for r in records if "error" not in r]
    readable = [given[0], given[2]]
    assert [r for r in records if "error" not in r] == [  # one record, CLI and Python
        reading.to_record() for reading in ImageReader.from_checkpoint("molecules").predict(
            readable)]
    jsonl = run(["predict", "molecules", *given, "--format", "jsonl"], capsys)[1]
    assert [json.loads(line) for line in jsonl.splitlines()] == records


def test_n_best_lists_are_ranked_scored_and_start_with_the_beam_output(reader, images,
                                                                        capsys):
    code, out, _ = run(["predict", "molecules", *map(str, images), "--json", "--n-best", "3",
                        "--beam", "4"], capsys)
    assert code == 0
    records = json.loads(out)
    beam = reader.predict_encoded(canvases(reader, images), beam_width=4, prefer_valid=False,
                                  n_best=3)  # n-best lists read the image as given
    penalty = reader.recipe.decode.length_penalty
    for image, record, expected in zip(images, records, beam, strict=True):
        alternatives = record["n_best"]
        assert len(alternatives) == 3 and len({a["output"] for a in alternatives}) == 3
        assert alternatives[0]["output"] == expected.text
        if alternatives[0]["valid"]:  # --prefer-valid (the recipe's) kept the beam's best
            assert record["output"] == alternatives[0]["output"]
        ranks = [a["normalized_score"] for a in alternatives]
        assert ranks == sorted(ranks, reverse=True)
        for alternative in alternatives:
            score = output_log_probability(reader, image, alternative["output"])
            assert alternative["log_probability"] == pytest.approx(score, abs=2e-4)
            assert alternative["probability"] == pytest.approx(math.exp(score), abs=1e-4)
            tokens = tokenize(alternative["output"], "smiles")
            assert alternative["normalized_score"] == pytest.approx(
                alternative["log_probability"] / (len(tokens) + 1) ** penalty, abs=1e-5)
            assert alternative["canonical_smiles"] == canonical(alternative["output"])
            assert alternative["valid"] == (alternative["canonical_smiles"] is not None)
    assert records[0]["n_best"][0]["canonical_smiles"] == canonical(MOLECULES["paracetamol"])


@pytest.mark.parametrize("options,message", [
    (["--n-best", "0"], "argument --n-best: must be from 1 to 100, got 0"),
    (["--n-best", "5"], "--n-best 5 needs a beam at least 5 wide, but the beam is 4 (the "
                        "run's recipe): pass --beam 5 or more"),
    (["--n-best", "3", "--beam", "2"], "--n-best 3 needs a beam at least 3 wide, but the "
                                        "beam is 2 (--beam): pass --beam 3 or more"),
])
def test_a_bad_n_best_is_one_error_line(images, options, message, capsys):
    code, out, err = run(["predict", "molecules", str(images[0]), "--json", *options], capsys)
    assert code == 1 and out == ""
    assert err.startswith(f"error: {message}") and err.count("\n") == 1


def test_attention_is_in_json_only_when_asked(reader, images, capsys):
    assert "attention" not in json.loads(run(["predict", "molecules", str(images[0]),
                                              "--json"], capsys)[1])[0]
    code, out, _ = run(["predict", "molecules", str(images[0]), "--json",
                        "--include-attention"], capsys)
    [record] = json.loads(out)
    [expected] = reader.predict([images[0]])
    attention = torch.tensor(record["attention"], dtype=torch.float64)
    grid = record["grid_size"]
    assert grid == reader.recipe.model.grid_size and record["output_tokens"] == expected.tokens
    assert record == expected.to_record(include_attention=True)
    assert attention.shape == (len(expected.tokens), grid * grid)
    torch.testing.assert_close(attention, torch.from_numpy(expected.attention).double(),
                               atol=5e-5, rtol=0)
    torch.testing.assert_close(attention.sum(-1), torch.ones(len(attention),
                               dtype=torch.float64), atol=2e-3, rtol=0)


def test_eval_json_is_the_metrics_of_the_predictions(images, tmp_path, capsys):
    table = tmp_path / "labels.csv"
    table.write_text("file,target\n" + "".join(
        f"{path.name},{smiles}\n" for path, smiles in zip(images, MOLECULES.values(),
                                                          strict=True)))
    code, out, _ = run(["eval", "molecules", "--csv", str(table), "--images",
                        str(images[0].parent), "--json"], capsys)
    assert code == 0
    scores = json.loads(out)
    records = json.loads(run(["predict", "molecules", *map(str, images), "--json"], capsys)[1])
    expected = [canonical(smiles) for smiles in MOLECULES.values()]
    assert scores["images"] == 3
    assert scores["exact_match"] == pytest.approx(sum(
        r["canonical_smiles"] == e for r, e in zip(records, expected, strict=True)) / 3)
    assert scores["validity"] == pytest.approx(sum(r["valid"] for r in records) / 3)
    assert scores["exact_match"] > 0


def test_a_greedy_reading_that_never_ends_has_probability_zero(reader, images, monkeypatch):
    """Cut at max_length before its end token, an output has no probability (the model never
    said it was done): confidence 0 and a record probability of 0 for greedy search too (a
    beam keeps an ended hypothesis where it has one), whose partial score alone would be a
    probability of a few per cent."""
    monkeypatch.setattr(reader, "max_length", 3)  # paracetamol and aspirin: 10 tokens or more
    readings = reader.predict_encoded(canvases(reader, [images[0], images[2]]), beam_width=1,
                                      prefer_valid=False)
    assert readings and all(not reading.finished for reading in readings)
    assert all(math.exp(reading.score) > 1e-3 for reading in readings)  # not 0 by itself
    for reading in readings:
        record = reading.to_record()
        assert reading.confidence == 0.0
        assert (record["probability"], record["log_probability"]) == (0.0, None)
