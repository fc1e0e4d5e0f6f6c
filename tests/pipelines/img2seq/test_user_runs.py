"""`attnkit train img2seq` on a user's own files with the options the MOSES tests leave out
(--images, --val-csv, --config FILE, --tokenizer characters, --resume), `eval --split`, what
`predict` and `eval` report checked against values computed here, and the errors of the
image-to-sequence commands. Every run reads a few molecules rendered at 64 px; none needs MOSES
(the `--split` test writes its own small MOSES files)."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch
import yaml
from PIL import Image

from attnkit.cli import main
from attnkit.data.molecule_render import RenderConfig, render_smiles
from attnkit.run.checkpoint import load_checkpoint, read_header, save_checkpoint

from .scoring import morgan_tanimoto, output_probability

TRAIN = ["CCO", "c1ccccc1", "CC(=O)O", "CCN", "OCC(O)CO", "CCCl", "C1CCNCC1", "COC", "CC(C)C"]
VAL = ["CCBr", "CC(C)O"]  # Br: a token only the validation CSV holds
EPOCHS, BATCH = 20, 8  # 9 training rows: 2 batches an epoch (1 if one were held out)


@dataclass(frozen=True)
class Files:
    images: Path  # t0.png ... (TRAIN), v0.png ... (VAL)
    tables: Path  # train.csv, val.csv, all.csv: another folder than the images'
    cache: Path  # render cache of every recipe here (never the user's)


def recipe_file(path: Path, files: Files, **train: object) -> Path:
    """A user's recipe YAML: a tiny model on 64 px images, the render cache under tmp."""
    values = {
        "data": {"source": "files", "eval_batch_size": 16, "cache_dir": str(files.cache),
                 "render_workers": 1},
        "render": {"image_size": 64},
        "model": {"image_size": 64, "encoder_channels": [8, 16, 16, 16], "projection_size": 16,
                  "embedding_size": 8, "hidden_size": 32, "attention_units": 8,
                  "output_size": 32, "projection_dropout": 0.0, "output_dropout": 0.0},
        "train": {"epochs": 1, "batch_size": BATCH, "lr": 0.02, "device": "cpu", **train},
    }
    path.write_text(yaml.safe_dump(values))
    return path


def write_table(path: Path, rows: list[tuple[str, str]]) -> Path:
    path.write_text("file,target\n" + "".join(f"{name},{target}\n" for name, target in rows))
    return path


def train_rows() -> list[tuple[str, str]]:
    return [(f"t{i}.png", smiles) for i, smiles in enumerate(TRAIN)]


def val_rows() -> list[tuple[str, str]]:
    return [(f"v{i}.png", smiles) for i, smiles in enumerate(VAL)]


def one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err, err
    return err



@pytest.fixture(scope="module")
def files(tmp_path_factory) -> Files:
    root = tmp_path_factory.mktemp("user-files")
    found = Files(root / "images", root / "tables", root / "cache")
    found.images.mkdir()
    found.tables.mkdir()
    for name, smiles in train_rows() + val_rows():
        drawing = render_smiles(smiles, RenderConfig(image_size=200))
        Image.fromarray(drawing.image).save(found.images / name)
    write_table(found.tables / "train.csv", train_rows())
    write_table(found.tables / "val.csv", val_rows())
    write_table(found.tables / "all.csv", train_rows() + val_rows())
    return found


@pytest.fixture(scope="module")
def fitted(files, tmp_path_factory, one_thread) -> Path:
    """A molecule run trained on the user's files for EPOCHS epochs; -> its run folder."""
    folder = tmp_path_factory.mktemp("fitted")
    config = recipe_file(folder / "user.yaml", files, epochs=EPOCHS)
    assert main(["train", "img2seq", "--csv", str(files.tables / "train.csv"),
                 "--images", str(files.images), "--val-csv", str(files.tables / "val.csv"),
                 "--config", str(config), "--run-dir", str(folder / "run")]) == 0
    return folder / "run"


@pytest.fixture(scope="module")
def text_run(files, tmp_path_factory, one_thread) -> Path:
    """A run with `--tokenizer characters`: targets are text, one token a character, and a
    target RDKit cannot parse is text like any other."""
    folder = tmp_path_factory.mktemp("text")
    table = write_table(folder / "text.csv", [*train_rows(), ("t0.png", "C1CC(")])
    assert main(["train", "img2seq", "--csv", str(table), "--images", str(files.images),
                 "--tokenizer", "characters", "--config", str(recipe_file(folder / "r.yaml",
                                                                          files)),
                 "--run-dir", str(folder / "run")]) == 0
    return folder / "run"


def test_config_file_images_and_val_csv_are_what_the_run_trained_with(fitted, files, capsys):
    meta = read_header(fitted / "last.safetensors")["meta"]
    recipe = meta["recipe"]
    assert recipe["model"]["hidden_size"] == 32 and recipe["train"]["epochs"] == EPOCHS
    assert recipe["data"]["render_workers"] == 1  # from the YAML; the default is 2
    assert recipe["data"]["image_dir"] == str(files.images)
    assert recipe["data"]["val_csv"] == str(files.tables / "val.csv")
    assert "Br" in meta["vocab"]  # the vocabulary saw the validation CSV
    # every training row trained (none held out for validation): 2 batches in each epoch
    assert read_header(fitted / "last.safetensors")["trainer"]["step"] == EPOCHS * 2
    records = [json.loads(line) for line in (fitted / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in records] == list(range(1, EPOCHS + 1))
    # without --images the images are looked for beside the CSV, where they are not
    assert main(["train", "img2seq", "--csv", str(files.tables / "train.csv"),
                 "--run-dir", str(fitted.parent / "other")]) == 1
    assert "t0.png" in one_line_error(capsys)


def test_predict_confidence_is_the_probability_of_the_output(fitted, files, capsys):
    last = fitted / "last.safetensors"
    assert main(["predict", str(last), str(files.images), "--json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert len(records) == len(TRAIN) + len(VAL)
    from rdkit import Chem

    for record in records:
        expected = output_probability(last, record["input"], record["output"])
        assert record["probability"] == pytest.approx(expected, abs=6e-5), record
        molecule = Chem.MolFromSmiles(record["output"]) if record["output"] else None
        assert record["canonical_smiles"] == (molecule and Chem.MolToSmiles(molecule))
    assert sum(r["probability"] > 0.05 for r in records) >= 3  # not a test of zeros only


def test_eval_scores_are_the_molecule_metrics_of_the_outputs(fitted, files, capsys):
    last = fitted / "last.safetensors"
    table = files.tables / "all.csv"
    assert main(["eval", str(last), "--csv", str(table), "--images", str(files.images)]) == 0
    scores = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert main(["predict", str(last), str(files.images), "--json"]) == 0
    outputs = {Path(r["input"]).name: r["output"]
               for r in json.loads(capsys.readouterr().out)}
    from rdkit import Chem

    def canonical(text: str) -> str | None:
        molecule = Chem.MolFromSmiles(text) if text else None
        return molecule and Chem.MolToSmiles(molecule)

    pairs = [(outputs[name], target) for name, target in train_rows() + val_rows()]
    similarity = sum(morgan_tanimoto(p, t) for p, t in pairs) / len(pairs)
    exact = sum(canonical(p) is not None and canonical(p) == canonical(t)
                for p, t in pairs) / len(pairs)
    valid = sum(canonical(p) is not None for p in outputs.values()) / len(pairs)
    assert scores["images"] == len(pairs) and scores["skipped_invalid_targets"] == 0
    assert scores["tanimoto"] == pytest.approx(similarity, abs=1e-12)
    assert scores["exact_match"] == pytest.approx(exact, abs=1e-12)
    assert scores["validity"] == pytest.approx(valid, abs=1e-12)
    assert 0 < similarity < 1 and 0 < exact < 1  # a mix: neither all right nor all wrong


def moses_files(folder: Path, splits: dict[str, list[str]]) -> Path:
    """A data folder with small MOSES files (`SMILES` header, one molecule a line)."""
    (folder / "moses").mkdir(parents=True)
    for split, smiles in splits.items():
        with gzip.open(folder / "moses" / f"{split}.csv.gz", "wt") as handle:
            handle.write("SMILES,SPLIT\n" + "".join(f"{s},{split}\n" for s in smiles))
    return folder


def test_eval_split_scores_that_moses_split(fitted, tmp_path, capsys):
    data = moses_files(tmp_path / "data", {"test": ["CCO", "CCN", "COC", "CCCl", "CC(=O)O"],
                                           "test_scaffolds": ["c1ccccc1", "C1CCNCC1", "CCBr"]})
    counts = {}
    for split in ("test_scaffolds", "test"):
        assert main(["eval", str(fitted), "--split", split, "--data-dir", str(data)]) == 0
        counts[split] = json.loads(capsys.readouterr().out.strip().splitlines()[-1])["images"]
    assert counts == {"test_scaffolds": 3, "test": 5}


def test_characters_tokenizer_reads_targets_as_text(text_run, files, capsys):
    meta = read_header(text_run / "best.safetensors")["meta"]
    assert meta["molecules"] is False and meta["skipped"]["invalid_smiles"] == 0
    assert "l" in meta["vocab"] and "Cl" not in meta["vocab"]  # CCCl: C, C, C, l
    image = files.images / "t0.png"
    assert main(["predict", str(text_run), str(image)]) == 0
    fields = capsys.readouterr().out.splitlines()[0].split("\t")
    assert len(fields) == 3 and fields[0] == str(image)
    if len(fields[1]) == meta["max_length"]:  # ran to the length limit without ending
        assert float(fields[2]) == 0.0
    else:
        assert float(fields[2]) == pytest.approx(output_probability(text_run, image, fields[1]),
                                                 abs=6e-5)
    assert main(["predict", str(text_run), str(image), "--json"]) == 0
    [record] = json.loads(capsys.readouterr().out)
    assert set(record) == {"input", "output", "probability", "log_probability"}
    assert main(["eval", str(text_run), "--csv", str(files.tables / "val.csv"),
                 "--images", str(files.images)]) == 0
    scores = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert set(scores) == {"images", "skipped_invalid_targets", "exact_match", "char_accuracy",
                           "levenshtein", "images_per_second"}


def test_resume_ends_where_an_uninterrupted_run_ends(files, tmp_path, capsys, one_thread):
    """A run cut by its time budget after its first batch, then resumed, has the steps, the
    metrics and the weights of the same run trained without a break (dropout on, so the random
    state must be carried over too)."""
    config = recipe_file(tmp_path / "r.yaml", files, epochs=2)
    argv = ["train", "img2seq", "--csv", str(files.tables / "train.csv"), "--images",
            str(files.images), "--val-csv", str(files.tables / "val.csv"), "--config",
            str(config), "--set", "model.output_dropout=0.25", "--set",
            "model.projection_dropout=0.25"]
    assert main([*argv, "--run-dir", str(tmp_path / "whole")]) == 0
    assert main([*argv, "--run-dir", str(tmp_path / "cut"), "--minutes", "1e-9"]) == 0
    cut = read_header(tmp_path / "cut" / "last.safetensors")["trainer"]
    assert cut["step"] == 1 and cut["position"]["batches"] == 1
    assert main(["train", "img2seq", "--csv", str(files.tables / "train.csv"), "--resume",
                 str(tmp_path / "cut"), "--set", "model.hidden_size=8"]) == 1
    assert "--resume cannot change model.hidden_size (32 -> 8)" in one_line_error(capsys)
    assert main(["train", "img2seq", "--csv", str(files.tables / "train.csv"), "--images",
                 str(files.images), "--val-csv", str(files.tables / "val.csv"), "--resume",
                 str(tmp_path / "cut"), "--minutes", "0"]) == 0

    def history(run: Path) -> list[dict]:
        return [{k: v for k, v in json.loads(line).items() if "second" not in k}
                for line in (run / "metrics.jsonl").read_text().splitlines()]

    whole, resumed = (load_checkpoint(tmp_path / name / "last.safetensors")
                      for name in ("whole", "cut"))
    assert resumed.header["trainer"]["step"] == whole.header["trainer"]["step"] == 2 * 2
    assert history(tmp_path / "cut") == history(tmp_path / "whole")
    assert whole.model_state.keys() == resumed.model_state.keys()
    for key, weights in whole.model_state.items():
        assert torch.equal(weights, resumed.model_state[key]), key


def empty_output_run(fitted: Path, folder: Path) -> Path:
    """The fitted checkpoint with the end token's output bias so high that it is always first."""
    checkpoint = load_checkpoint(fitted / "last.safetensors")
    state = dict(checkpoint.model_state)
    end_id = checkpoint.meta["vocab"].index(">")
    state["fc2.bias"] = state["fc2.bias"].clone()
    state["fc2.bias"][end_id] = 1e4
    path = folder / "ends-at-once.safetensors"
    save_checkpoint(path, state, {"meta": checkpoint.meta})
    return path


@dataclass(frozen=True)
class Setting:
    fitted: Path
    text_run: Path
    files: Files
    tmp: Path


ERRORS: dict[str, tuple[Callable[[Setting], list[str]], str]] = {
    "eval of a text run without --csv": (
        lambda s: ["eval", str(s.text_run)],
        "this run reads text, not molecules: pass --csv FILE to evaluate it"),
    "attention image not a png": (
        lambda s: ["predict", str(s.fitted), str(s.files.images / "t0.png"), "--attention",
                   str(s.tmp / "strip.jpg")],
        "attention image must end in .png, got"),
    "nothing to draw attention of": (
        lambda s: ["predict", str(empty_output_run(s.fitted, s.tmp)),
                   str(s.files.images / "t0.png"), "--attention", str(s.tmp / "strip.png")],
        "t0.png gave an empty output: no attention to draw"),
    "more molecules asked than MOSES holds": (
        lambda s: ["train", "molecules", "--data-dir",
                   str(moses_files(s.tmp / "data", {"train": TRAIN[:5]})),
                   "--set", "data.train_size=8", "--set", "data.val_size=2",
                   "--set", f"data.cache_dir={s.files.cache}",
                   "--run-dir", str(s.tmp / "run")],
        "data.train_size + data.val_size = 10 is more than the 5 MOSES training molecules"),
    "files source without a CSV": (
        lambda s: ["train", "molecules", "--set", "data.source=files",
                   "--set", f"data.cache_dir={s.files.cache}", "--run-dir", str(s.tmp / "run")],
        "data.source is 'files' but no CSV was given (--csv FILE)"),
    "too few rows to hold out validation": (
        lambda s: ["train", "img2seq", "--csv",
                   str(write_table(s.tmp / "one.csv", train_rows()[:1])), "--images",
                   str(s.files.images), "--run-dir", str(s.tmp / "run")],
        "one.csv has 1 usable rows: too few to hold out validation rows; add rows or pass "
        "--val-csv"),
}


@pytest.mark.parametrize("case", list(ERRORS))
def test_img2seq_errors_are_one_line_naming_the_problem(case, fitted, text_run, files,
                                                        tmp_path, capsys):
    argv, message = ERRORS[case]
    assert main(argv(Setting(fitted, text_run, files, tmp_path))) == 1
    assert message in one_line_error(capsys)
    assert not (tmp_path / "run").exists() and not (tmp_path / "strip.png").exists()


def test_init_from_starts_a_run_from_another_runs_weights(fitted, files, tmp_path, capsys,
                                                          one_thread):
    """train.init_from: a run that starts from `fitted` (and barely moves, lr 1e-12) holds
    fitted's weights (batch norm's running statistics move with any training, lr or not)."""
    config = recipe_file(tmp_path / "r.yaml", files, epochs=1, lr=1e-12)
    assert main(["train", "img2seq", "--csv", str(files.tables / "train.csv"), "--images",
                 str(files.images), "--val-csv", str(files.tables / "val.csv"), "--config",
                 str(config), "--set", f"train.init_from={fitted}", "--run-dir",
                 str(tmp_path / "warm")]) == 0
    assert "warm start:" in capsys.readouterr().out
    earlier = load_checkpoint(fitted / "best.safetensors").model_state
    started = load_checkpoint(tmp_path / "warm" / "last.safetensors").model_state
    assert started.keys() == earlier.keys()
    for name, tensor in earlier.items():
        if "running_" not in name and "num_batches" not in name:
            assert torch.allclose(started[name], tensor, atol=1e-6), name
    assert main(["train", "img2seq", "--csv", str(files.tables / "train.csv"), "--images",
                 str(files.images), "--config", str(config), "--set",
                 f"train.init_from={files.tables / 'train.csv'}",
                 "--run-dir", str(tmp_path / "bad")]) == 1
    assert "train.csv" in one_line_error(capsys)
