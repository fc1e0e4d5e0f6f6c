import json
import os
from pathlib import Path

import pytest
from PIL import Image

from attnkit.cli import main
from attnkit.data.molecule_render import RenderConfig, render_smiles
from attnkit.run.checkpoint import load_checkpoint, read_header

from ...shared_data import needs_data
from .scoring import output_probability

DATA = os.environ.get("ATTNKIT_DATA", "")
needs_moses_train = needs_data("moses", "train.csv.gz")  # every test of the `run` fixture
needs_moses_test = needs_data("moses", "test.csv.gz")  # `eval` reads the test split
TINY = ["model.image_size=64", "render.image_size=64", "model.encoder_channels=[8,16,16,16]",
        "model.projection_size=16", "model.embedding_size=8", "model.hidden_size=16",
        "model.attention_units=8", "model.output_size=16", "train.batch_size=16",
        "train.epochs=1", "data.eval_batch_size=8"]


def overrides(*values: str) -> list[str]:
    return [part for value in [*TINY, *values] for part in ("--set", value)]



@pytest.fixture(scope="module")
def run(tmp_path_factory, one_thread):
    folder = tmp_path_factory.mktemp("molecules")
    cache = tmp_path_factory.mktemp("cache")
    argv = ["train", "molecules", "--run-dir", str(folder / "run"), "--data-dir", DATA,
            "--device", "cpu", "--minutes", "0.0001",  # the budget ends training after a batch
            *overrides("data.train_size=48", "data.val_size=8", f"data.cache_dir={cache}",
                       "train.epochs=3")]
    assert main(argv) == 0
    return folder / "run"


def molecule_png(path: Path, smiles: str = "CC(=O)Nc1ccc(O)cc1") -> Path:
    Image.fromarray(render_smiles(smiles, RenderConfig(image_size=200)).image).save(path)
    return path


@needs_moses_train
def test_train_writes_a_run_that_rebuilds_itself(run):
    assert {"best.safetensors", "last.safetensors", "metrics.jsonl", "curves.png"} <= \
        {p.name for p in run.iterdir()}
    lines = (run / "metrics.jsonl").read_text().splitlines()
    # the budget cut the first epoch after its first batch: 48 molecules / batch 16 = 3 batches
    assert len(lines) == 1 and json.loads(lines[0])["epoch"] == round(1 / 3, 4)
    trainer = read_header(run / "last.safetensors")["trainer"]
    assert trainer["step"] == 1
    assert {k: trainer["position"][k] for k in ("epoch", "total", "batches", "items")} == \
        {"epoch": 0, "total": 3, "batches": 1, "items": 16}
    meta = read_header(run / "best.safetensors")["meta"]
    assert meta["task"] == "img2seq" and meta["vocab"][:4] == ["<pad>", "<unk>", "<", ">"]
    assert 20 < meta["max_length"] < 80  # 99.9 % of the training SMILES, end token included
    assert meta["recipe"]["model"]["image_size"] == 64


@needs_moses_train
def test_predict_prints_smiles_and_confidence_and_draws_attention(run, tmp_path, capsys):
    image = molecule_png(tmp_path / "paracetamol.png")
    strip = tmp_path / "attention.png"
    assert main(["predict", str(run), str(image), "--attention", str(strip)]) == 0
    first = capsys.readouterr().out.splitlines()[0].split("\t")
    assert first[0] == str(image)  # confidence: the probability of the output, end included
    assert float(first[2]) == pytest.approx(output_probability(run, image, first[1]), abs=6e-5)
    assert strip.is_file() and Image.open(strip).size[0] > 100
    assert main(["predict", str(run), str(image), "--beam", "2", "--prefer-valid"]) == 0
    assert capsys.readouterr().out.startswith(str(image))


@needs_moses_train
@needs_moses_test
def test_eval_prints_molecule_metrics_as_json(run, capsys):
    assert main(["eval", str(run), "--limit", "6", "--data-dir", DATA]) == 0
    scores = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert scores["images"] == 6
    assert {"exact_match", "validity", "tanimoto", "token_accuracy", "levenshtein",
            "images_per_second"} <= set(scores)
    assert main(["eval", str(run), "--split", "val", "--data-dir", DATA]) == 0
    scores = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert scores["images"] == 8  # the run's own validation molecules (data.val_size=8)


@needs_moses_train
def test_bad_images_and_reruns_fail_in_one_line_without_overwriting(run, tmp_path, capsys):
    text = tmp_path / "notes.png"
    text.write_text("hello")
    assert main(["predict", str(run), str(text)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "not an image" in err and err.count("\n") == 1
    stamp = (run / "best.safetensors").stat().st_mtime_ns
    assert main(["train", "molecules", "--run-dir", str(run), "--data-dir", DATA,
                 *overrides("data.train_size=8", "data.val_size=2")]) == 1
    assert "already holds checkpoints" in capsys.readouterr().err
    assert (run / "best.safetensors").stat().st_mtime_ns == stamp


def user_table(folder: Path, bad_smiles: str) -> Path:
    lines = ["file,target"]
    for i, smiles in enumerate(["CCO", "c1ccccc1", "CC(=O)O", "CCN", "OCC(O)CO", "CCCl",
                                "C1CCNCC1", "COC"]):
        molecule_png(folder / f"m{i}.png", smiles)
        lines.append(f"m{i}.png,{smiles}")
    lines.append(f"m0.png,{bad_smiles}")
    (folder / "labels.csv").write_text("\n".join(lines) + "\n")
    return folder / "labels.csv"


def test_user_csv_skips_unparsable_smiles_with_a_count_or_rejects_them(tmp_path, capsys,
                                                                       one_thread):
    table = user_table(tmp_path, "C1CC(")
    run_dir = tmp_path / "user-run"
    assert main(["train", "img2seq", "--csv", str(table), "--run-dir", str(run_dir),
                 "--invalid-smiles", "reject", *overrides()]) == 1
    err = capsys.readouterr().err
    assert "labels.csv line 10: RDKit cannot parse the SMILES 'C1CC('" in err
    assert not any(run_dir.glob("*.safetensors"))
    assert main(["train", "img2seq", "--csv", str(table), "--run-dir", str(run_dir),
                 *overrides()]) == 0
    out = capsys.readouterr().out
    assert "skipped 1 of 9 rows" in out and "1 invalid_smiles" in out
    assert read_header(run_dir / "last.safetensors")["meta"]["skipped"]["invalid_smiles"] == 1
    assert main(["eval", str(run_dir), "--csv", str(table)]) == 0
    scores = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert scores["images"] == 8 and scores["skipped_invalid_targets"] == 1


@needs_moses_train
def test_predict_reads_folders_and_patterns_and_reports_each_bad_file(run, tmp_path, capsys):
    folder = tmp_path / "scans"
    folder.mkdir()
    molecule_png(folder / "a.png")
    molecule_png(folder / "b.png", "Clc1ccccc1")
    Image.new("L", (80, 60), 255).save(folder / "blank.png")
    (folder / "notes.png").write_text("hello")
    assert main(["predict", str(run), str(folder), "--json"]) == 1  # two files failed
    records = json.loads(capsys.readouterr().out)  # one JSON list, in input order
    assert [Path(r["input"]).name for r in records] == ["a.png", "b.png", "blank.png",
                                                       "notes.png"]
    for record in records[:2]:
        assert set(record) == {"input", "output", "probability", "log_probability",
                               "canonical_smiles", "valid", "atoms"}
        assert record["valid"] == (record["canonical_smiles"] is not None)
        assert record["probability"] == pytest.approx(
            output_probability(run, record["input"], record["output"]), abs=6e-5)
        assert all(-20 <= atom[axis] <= 220 for atom in record["atoms"] for axis in "xy")
    assert "blank" in records[2]["error"] and "not an image" in records[3]["error"]
    assert main(["predict", str(run), str(folder / "[ab].png"), "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == ("input,output,probability,log_probability,canonical_smiles,valid,atoms,"
                        "error")
    assert len(lines) == 3 and lines[1].startswith(str(folder / "a.png"))
    assert main(["predict", str(run), str(tmp_path / "none*.png")]) == 1
    assert "no file matches" in capsys.readouterr().err


@needs_moses_train
def test_export_writes_weights_only_that_read_the_same(run, tmp_path, capsys):
    image = molecule_png(tmp_path / "m.png")
    exported = tmp_path / "reader.safetensors"
    assert main(["export", str(run), "--output", str(exported)]) == 0
    header = read_header(exported)
    assert "optimizer" not in header and "rng" not in header
    assert not header["meta"]["recipe"]["model"]["cell_head"]
    weights = load_checkpoint(exported).model_state
    assert weights and not any(key.startswith("cell_head.") for key in weights)
    capsys.readouterr()
    outputs = []
    for source in (run, exported):
        assert main(["predict", str(source), str(image), "--json"]) == 0
        outputs.append(json.loads(capsys.readouterr().out))
    assert outputs[0] == outputs[1]
    half = tmp_path / "half.safetensors"
    assert main(["export", str(exported), "--output", str(half), "--dtype", "fp16"]) == 0
    assert half.stat().st_size < 0.6 * exported.stat().st_size
    assert main(["predict", str(half), str(image)]) == 0
    stamp = half.stat().st_mtime_ns
    assert main(["export", str(run), "--output", str(half)]) == 1
    assert "exists" in capsys.readouterr().err and half.stat().st_mtime_ns == stamp
