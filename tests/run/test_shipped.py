"""Shipped models: the manifest mechanism on a folder of its own, then the models that ship."""

import hashlib
import json
import shlex
from pathlib import Path

import numpy as np
import pytest

from attnkit.cli import main
from attnkit.data.chem import canonical_smiles
from attnkit.data.molecule_render import RenderConfig, render_smiles
from attnkit.errors import AttnkitError
from attnkit.pipelines.img2seq.predictor import ImageReader
from attnkit.run.checkpoint import read_header
from attnkit.run.shipped import SHIPPED_FOLDER, shipped_checkpoint, shipped_models

REPOSITORY = Path(__file__).resolve().parents[2]
MAX_SHIPPED_BYTES = 25_000_000


def manifest_folder(tmp_path: Path, content: bytes, sha256: str | None = None) -> Path:
    (tmp_path / "model.safetensors").write_bytes(content)
    entry = {"file": "model.safetensors", "pipeline": "img2seq",
             "sha256": sha256 or hashlib.sha256(content).hexdigest()}
    (tmp_path / "manifest.json").write_text(json.dumps({"tiny": entry}))
    return tmp_path


def test_a_name_gives_its_file_once_its_sha256_is_checked(tmp_path):
    folder = manifest_folder(tmp_path, b"weights")
    assert set(shipped_models(folder)) == {"tiny"}
    assert shipped_checkpoint("tiny", folder) == folder / "model.safetensors"
    assert shipped_checkpoint("other", folder) is None
    assert shipped_models(tmp_path / "nowhere") == {}


def test_a_replaced_or_damaged_file_is_refused(tmp_path):
    folder = manifest_folder(tmp_path, b"weights", sha256="0" * 64)
    with pytest.raises(AttnkitError, match="does not match its SHA-256"):
        shipped_checkpoint("tiny", folder)


def test_an_unreadable_manifest_is_one_clear_error(tmp_path):
    (tmp_path / "manifest.json").write_text("{not json")
    with pytest.raises(AttnkitError, match="manifest .* is unreadable"):
        shipped_models(tmp_path)


SHIPPED = shipped_models()


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_every_shipped_model_is_small_weights_only_and_reproducible(name):
    entry = SHIPPED[name]
    path = shipped_checkpoint(name)  # the SHA-256 is checked here
    assert path.parent == SHIPPED_FOLDER and path.stat().st_size == entry["bytes"]
    assert entry["bytes"] <= MAX_SHIPPED_BYTES
    header = read_header(path)
    assert "optimizer" not in header and "rng" not in header
    assert header["meta"]["task"] == entry["pipeline"]
    command = shlex.split(entry["trained_with"])
    recipe = command[command.index("--config") + 1] if "--config" in command else command[2]
    assert (REPOSITORY / "configs" / f"{recipe}.yaml").is_file()
    assert entry["measured"] and (SHIPPED_FOLDER / "README.md").is_file()


# Drug molecules written here (not MOSES, which the model was trained on), drawn plainly.
DRUGS = {
    "aspirin": "CC(=O)Oc1ccccc1C(=O)O",
    "paracetamol": "CC(=O)Nc1ccc(O)cc1",
    "caffeine": "Cn1cnc2c1c(=O)n(C)c(=O)n2C",
    "ibuprofen": "CC(C)Cc1ccc(C(C)C(=O)O)cc1",
    "phenacetin": "CCOc1ccc(NC(C)=O)cc1",
    "benzocaine": "CCOC(=O)c1ccc(N)cc1",
    "nicotinamide": "NC(=O)c1cccnc1",
    "salicylamide": "NC(=O)c1ccccc1O",
    "antipyrine": "Cc1cc(=O)n(-c2ccccc2)n1C",
    "isoniazid": "NNC(=O)c1ccncc1",
    "methylparaben": "COC(=O)c1ccc(O)cc1",
    "acetanilide": "CC(=O)Nc1ccccc1",
}
DRUG_NAMES = list(DRUGS)


# What each pinned model (its SHA-256 is in the manifest) reads of these 12, drawn by RDKit as
# `render_smiles` draws them at the model's size, read greedily on the CPU: exactly these. A new
# RDKit may draw one differently: then look at the readings again.
READ = {
    # trained on the mix (MOSES, HIV, small and large variants) drawn by RDKit and Indigo, 219
    # one-core minutes in three stages; `molecules_mix` is the same file (the two-stage mix
    # model read 10 with benzocaine and without caffeine, the first mix model 9, the MOSES-only
    # model 6)
    "molecules": ["aspirin", "paracetamol", "caffeine", "phenacetin", "nicotinamide",
                  "salicylamide", "antipyrine", "isoniazid", "methylparaben", "acetanilide"],
}
READ["molecules_mix"] = READ["molecules"]


@pytest.fixture(scope="module", params=sorted(READ))
def reader(request):
    assert request.param in SHIPPED, "the molecules models must ship (issues 17 and 24)"
    return request.param, ImageReader.from_checkpoint(request.param)


def test_the_shipped_molecules_models_read_plain_drawings(reader):
    name, reader = reader
    config = RenderConfig(image_size=reader.image_size)
    images = np.stack([render_smiles(text, config).image for text in DRUGS.values()])
    readings = reader.predict_encoded(images, beam_width=1)
    right = [drug for (drug, text), reading in zip(DRUGS.items(), readings, strict=True)
             if reading.canonical == canonical_smiles(text)]
    assert right == READ[name]
    noise = np.random.default_rng(0).integers(0, 256, (2, *images.shape[1:]), dtype=np.uint8)
    for beam in (None, 1):  # the recipe's search, and greedy search (whose reading never ends)
        read_noise = reader.predict_encoded(noise, beam_width=beam)
        assert all(r.confidence < 0.05 and not r.canonical == canonical_smiles(DRUGS["aspirin"])
                   for r in read_noise)
        # every right reading of a drawing is surer than any reading of noise
        assert min(readings[DRUG_NAMES.index(drug)].confidence for drug in right) > \
            max(r.confidence for r in read_noise)


# Dates written here, in forms people use (the misreadings among them).
WRITTEN_DATES = {"3/12/11": "2011-03-12", "2/19/10": "2010-02-19", "12/31/10": "2010-12-31",
                 "September 27, 1994": "1994-09-27", "Wednesday, February 26, 1997": "1997-02-26",
                 "27.09.1994": "1994-09-27", "1994-09-27": "1994-09-27",
                 "sep 30, 1981": "1981-09-30", "31 December 2099": "2099-12-31",
                 "29 Feb 2000": "2000-02-29"}


def test_the_shipped_dates_model_reads_dates_written_by_people():
    from attnkit.pipelines.seq2seq.predictor import Translator

    assert "dates" in SHIPPED
    translator = Translator.from_checkpoint("dates")
    outputs = [t.output for t in translator.predict(list(WRITTEN_DATES))]
    assert outputs == list(WRITTEN_DATES.values())


# Captions written here in Multi30k's style (not from its files), and German words a right
# translation holds (a dictionary's, lowercased): each sentence's content words.
CAPTIONS = {
    "A dog runs on the beach.": ("hund", "strand"),
    "Two children are playing in the water.": ("zwei", "kinder", "wasser"),
    "A man is riding a bicycle down the street.": ("mann", "fahrrad", "straße"),
    "A woman in a red dress is singing.": ("frau", "rot", "singt"),
    "Three men are sitting at a table.": ("drei", "männer", "tisch"),
}


def test_the_shipped_translation_model_translates_captions_written_here():
    from attnkit.pipelines.seq2seq.predictor import Translator

    translator = Translator.from_checkpoint("multi30k")
    outputs = [t.output for t in translator.predict(list(CAPTIONS))]
    for output, words in zip(outputs, CAPTIONS.values(), strict=True):
        lowered = output.lower()
        assert all(word in lowered for word in words), (output, words)
    assert translator.describe() == {"attention": True, "heads": True, "tokens": "subwords"}


def test_the_name_works_where_a_run_does(tmp_path, capsys):
    from PIL import Image

    path = tmp_path / "aspirin.png"
    Image.fromarray(render_smiles(DRUGS["aspirin"], RenderConfig(image_size=256)).image).save(path)
    assert main(["predict", "molecules", str(path), "--json"]) == 0
    [record] = json.loads(capsys.readouterr().out)
    assert record["input"] == str(path) and record["valid"]
    assert main(["models"]) == 0
    listed = capsys.readouterr().out
    assert listed.startswith("molecules")
    # a model whose attention singles nothing out says so where it is listed (#27)
    assert "note: its attention is near even" in listed.split("imdb", 1)[1].split("\n")[1]


# Reviews written here (not IMDB's), one or two sentences, as people type them into a box.
WRITTEN_REVIEWS = {
    "One of the best films I have seen in years: a moving story and superb acting.": "pos",
    "A wonderful, warm film. The cast is excellent and the ending made me cry.": "pos",
    "I loved it. Beautifully shot, funny and clever, and the music is great.": "pos",
    "A brilliant thriller that kept me on the edge of my seat until the last minute.": "pos",
    "Boring, predictable and far too long. I want my two hours back.": "neg",
    "The worst movie I have seen this year: awful dialogue and terrible acting.": "neg",
    "A waste of a good cast. The plot makes no sense and the jokes fall flat.": "neg",
    "Dull and lifeless; I fell asleep halfway through and did not miss anything.": "neg",
}


@pytest.mark.parametrize("name", ["imdb", "imdb_transformer"])
def test_the_shipped_imdb_models_read_reviews_written_by_people(name):
    from attnkit.pipelines.classify.predictor import TextClassifier

    assert name in SHIPPED
    classifier = TextClassifier.from_checkpoint(name, "cpu")
    predictions = classifier.predict(list(WRITTEN_REVIEWS))
    assert [p.label for p in predictions] == list(WRITTEN_REVIEWS.values())
    for prediction in predictions:
        assert sum(prediction.weights) == pytest.approx(1.0, abs=1e-4)
    # imdb's attention is near even on every review; the Transformer's singles words out
    # (issue #27: measured on 1,000 validation reviews by bench/attention_peak.py)
    notes = [bool(prediction.near_even_note()) for prediction in predictions]
    assert notes == [name == "imdb"] * len(predictions)


def broken_installations(folder: Path) -> dict[str, tuple[Path, str]]:
    """name -> (a damaged shipped folder, the start of the error it gives)."""
    import os

    def installation(name: str, manifest: object, make=None) -> Path:  # noqa: ANN001
        home = folder / name
        home.mkdir()
        (home / "manifest.json").write_text(manifest if isinstance(manifest, str)
                                            else json.dumps(manifest))
        if make is not None:
            make(home)
        return home

    def entry(file: object = "model.safetensors", **changes: object) -> dict:
        return {"tiny": {"file": file, "pipeline": "img2seq", "sha256": "0" * 64, **changes}}

    return {
        "list": (installation("list", [1, 2]), "is malformed (a JSON list, not an object"),
        "entry not an object": (installation("entry", {"tiny": "model.safetensors"}),
                                "is malformed ('tiny' is not an object)"),
        "no file": (installation("nofile", entry(file=None)), "'tiny' has no file name"),
        "no sha256": (installation("nosha", entry(sha256="abc")), "'tiny' has no SHA-256"),
        "deep": (installation("deep", "[" * 100_000 + "]" * 100_000), "is unreadable"),
        "manifest a pipe": (installation("pipe", "{}", lambda home: (
            (home / "manifest.json").unlink(), os.mkfifo(home / "manifest.json"))),
            "is unreadable: "),
        "a path": (installation("path", entry(file="../../etc/passwd")),
                   "names the file '../../etc/passwd': it must be a bare file name"),
        "a pipe": (installation("fifo", entry(), lambda home: os.mkfifo(
            home / "model.safetensors")), "model.safetensors is not a regular file"),
        "a link to /dev/zero": (installation("zero", entry(), lambda home: (
            home / "model.safetensors").symlink_to("/dev/zero")), "a link that leads out"),
        "a folder": (installation("folder", entry(), lambda home: (
            home / "model.safetensors").mkdir()), "model.safetensors is not a regular file"),
    }


BROKEN = ["list", "entry not an object", "no file", "no sha256", "deep", "manifest a pipe",
          "a path", "a pipe", "a link to /dev/zero", "a folder"]


@pytest.mark.timeout(30)  # a pipe or /dev/zero read to its end would hang
@pytest.mark.parametrize("case", BROKEN)
def test_a_damaged_installation_is_one_clear_error_never_a_hang(tmp_path, case):
    folder, message = broken_installations(tmp_path)[case]
    with pytest.raises(AttnkitError) as caught:
        shipped_checkpoint("tiny", folder)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)
