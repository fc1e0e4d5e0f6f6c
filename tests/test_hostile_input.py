"""Bad input fed through the CLI, one table, in one process (issue 13).

Every case must end in one `error: ...` line on stderr and exit status 1, raise nothing (no
traceback), and write nothing: the working folder, the checkpoints and the input files are the
same before and after. The runs are the checkpoints kept in `pipelines/old_checkpoints/`; the
crafted ones are valid safetensors files whose attnkit header lies.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
import torch
from PIL import Image
from safetensors.torch import save_file

from attnkit.cli import main
from attnkit.run.checkpoint import load_checkpoint, save_checkpoint

from .crafted_onnx import crafted_exports
from .unavailable import ONNX, require_module

# A case that hangs (say, a crafted checkpoint decoding toward 10^8 steps) fails, not stalls.
pytestmark = pytest.mark.timeout(60)
OLD = Path(__file__).parent / "pipelines" / "old_checkpoints"
RUNS = {"seq2seq": OLD / "seq2seq.safetensors", "classify": OLD / "classify.safetensors",
        "img2seq": OLD / "img2seq.safetensors", "image": OLD / "img0.png"}


def crafted(folder: Path, name: str, run: str, change) -> Path:  # noqa: ANN001
    """`run`'s checkpoint with its header changed by `change(header)` (in place)."""
    checkpoint = load_checkpoint(RUNS[run])
    header = {key: value for key, value in checkpoint.header.items()
              if key not in ("format_version", "optimizer")}
    change(header)
    path = folder / f"{name}.safetensors"
    save_checkpoint(path, checkpoint.model_state, header)
    return path


def raw_header(folder: Path, name: str, text: str) -> Path:
    path = folder / f"{name}.safetensors"
    save_file({"model.weight": torch.zeros(2, 2)}, path, metadata={"attnkit": text})
    return path


def with_optimizer(folder: Path, name: str, optimizer: object) -> Path:
    checkpoint = load_checkpoint(RUNS["seq2seq"])
    header = {key: value for key, value in checkpoint.header.items() if key != "optimizer"}
    tensors = {f"model.{key}": value for key, value in checkpoint.model_state.items()}
    header["optimizer"] = optimizer
    path = folder / f"{name}.safetensors"
    save_file(tensors, path, metadata={"attnkit": json.dumps(header)})
    return path


def set_meta(*keys: str, value: object):  # noqa: ANN201
    def change(header: dict) -> None:
        node = header["meta"]
        for key in keys[:-1]:
            node = node[key]
        node[keys[-1]] = value
    return change


def drop_meta(key: str):  # noqa: ANN201
    return lambda header: header["meta"].pop(key)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> dict[str, Path]:
    """Crafted checkpoints and a long thin image, made once."""
    folder = tmp_path_factory.mktemp("hostile")
    deep = "[" * 100_000 + "]" * 100_000
    made = {
        "list_header": raw_header(folder, "list", "[1, 2]"),
        "string_header": raw_header(folder, "string", '"a string"'),
        "deep_header": raw_header(folder, "deep", deep),
        "no_param_groups": with_optimizer(folder, "no_param_groups", {"scalars": {}}),
        "float_length": crafted(folder, "float_length", "seq2seq",
                                set_meta("max_source_length", value=12.5)),
        "huge_hidden": crafted(folder, "huge_hidden", "seq2seq",
                               set_meta("recipe", "model", "hidden_size", value=200_000)),
        "wide_hidden": crafted(folder, "wide_hidden", "seq2seq",
                               set_meta("recipe", "model", "hidden_size", value=4_096)),
        "long_decode": crafted(folder, "long_decode", "seq2seq",
                               set_meta("max_target_length", value=100_000_000)),
        "huge_reader": crafted(folder, "huge_reader", "img2seq",
                               set_meta("recipe", "model", "hidden_size", value=200_000)),
        "wide_reader": crafted(folder, "wide_reader", "img2seq",
                               set_meta("recipe", "model", "hidden_size", value=4_096)),
        "long_reading": crafted(folder, "long_reading", "img2seq",
                                set_meta("max_length", value=100_000_000)),
        "text_length": crafted(folder, "text_length", "img2seq",
                               set_meta("max_length", value="99")),
        "unknown_model_key": crafted(folder, "unknown_key", "classify",
                                     set_meta("model", "colour", value="red")),
        "no_tokenizer": crafted(folder, "no_tokenizer", "classify", drop_meta("tokenizer")),
        "tokenizer_key": crafted(folder, "tokenizer_key", "classify",
                                 set_meta("tokenizer", "colour", value="red")),
        "tokenizer_type": crafted(folder, "tokenizer_type", "classify",
                                  set_meta("tokenizer", "split", value=[" "])),
        "few_classes": crafted(folder, "few_classes", "classify",
                               set_meta("classes", value=["pos"])),
        "strip": folder / "strip.png",
    }
    Image.new("L", (39_999_000, 1), 255).save(made["strip"])  # 39 KB, inside 40 megapixels
    return made


@pytest.fixture
def workplace(tmp_path, monkeypatch) -> Path:
    """A working folder holding every kind of bad input file, and a finished run."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "zero.csv").symlink_to("/dev/zero")
    (tmp_path / "folder").mkdir()
    (tmp_path / "notes.txt").write_text("not a folder\n")
    (tmp_path / "texts.txt").write_text("a fine film\n")
    (tmp_path / "pairs.tsv").write_text("1+1\t2\n2+2\t4\n3+3\t6\n")
    (tmp_path / "bad.tsv").write_text("1+1\t2\n2+2 4\n")
    (tmp_path / "bad.csv").write_text("name,target\na.png,x\n")
    (tmp_path / "bad.yaml").write_text("train:\n  lr: [1, 2\n")
    (tmp_path / "run").mkdir()
    shutil.copy(RUNS["seq2seq"], tmp_path / "run" / "last.safetensors")
    (tmp_path / "run" / "recipe.yaml").write_text("the recipe of the run\n")
    return tmp_path


def snapshot(*roots: Path) -> dict[str, tuple[int, int] | None]:
    """Every path under `roots`: files with size and modification time, folders by name (a
    check that may write there tries, and leaves no entry behind)."""
    paths: dict[str, tuple[int, int] | None] = {}
    for root in roots:
        for path in [root, *root.rglob("*")]:
            stat = path.lstat()
            paths[str(path)] = None if path.is_dir() and not path.is_symlink() else \
                (stat.st_size, stat.st_mtime_ns)
    return paths


SEQ, CLS, IMG, PNG = "{seq2seq}", "{classify}", "{img2seq}", "{image}"
CASES = [
    # options out of bounds, for every pipeline (checked once, in pipelines/arguments.py)
    (["translate", SEQ, "2/10/93", "--beam", "0"], "--beam: must be from 1 to 100, got 0"),
    (["translate", SEQ, "2/10/93", "--beam", "-3"], "--beam: must be from 1"),
    (["translate", SEQ, "2/10/93", "--beam", "100000"], "--beam: must be from 1 to 100"),
    (["eval", SEQ, "--beam", "0"], "--beam: must be from 1"),
    (["predict", IMG, PNG, "--beam", "0"], "--beam: must be from 1"),
    (["predict", CLS, "a fine film", "--batch-size", "0"], "--batch-size: must be from 1"),
    (["predict", CLS, "a fine film", "--batch-size", "-1"], "--batch-size: must be from 1"),
    (["eval", CLS, "--batch-size", "0"], "--batch-size: must be from 1"),
    (["predict", IMG, PNG, "--batch-size", "-1"], "--batch-size: must be from 1"),
    (["eval", IMG, "--batch-size", "0"], "--batch-size: must be from 1"),
    (["train", "dates", "--set", "train.lr=nan"], "'train.lr': expected a finite number"),
    (["train", "dates", "--set", "decode.beam_width=100000"], "beam_width must be from 1"),
    (["train", "dates", "--set", "model.hidden_size=1000000"],
     "invalid recipe model: hidden_size must be from 1 to 8,192, got 1,000,000"),
    (["train", "dates", "--set", "data.train_size=1000000000000"],
     "invalid recipe data: train_size must be from 1 to 10,000,000, got 1,000,000,000,000"),
    (["train", "molecules", "--set", "data.train_size=1000000000000"],
     "train_size must be from 1 to 10,000,000"),
    (["train", "imdb", "--set", "model.embedding_size=1000000"],
     "embedding_size must be from 1 to 8,192"),
    (["train", "molecules", "--set", "model.hidden_size=1000000"],
     "hidden_size must be from 1 to 8,192"),
    (["train", "dates", "--seed", "-1"], "--seed: must be from 0"),
    (["train", "dates", "--seed", "99999999999999999999"], "--seed: must be from 0"),
    (["train", "dates", "--threads", "100000"], "--threads: must be from 1 to 1024"),
    (["train", "dates", "--minutes", "nan"], "--minutes: must be a finite number"),
    (["train", "dates", "--bogus"], "unrecognized arguments: --bogus"),
    (["train", "dates", "--config", "bad.yaml"], "bad.yaml: expected ',' or ']'"),
    # run folders
    (["train", "dates", "--run-dir", ""], "--run-dir: expected a folder name"),
    (["train", "dates", "--run-dir", "notes.txt"], "notes.txt is a file, not a folder"),
    (["train", "dates", "--run-dir", "notes.txt/run"], "notes.txt is a file, not a folder"),
    (["train", "dates", "--run-dir", "/proc/attnkit-run"], "cannot write /proc/attnkit-run"),
    (["train", "dates", "--run-dir", "run"], "already holds checkpoints"),
    (["compare", "--run-dir", "run"], "already holds checkpoints"),
    (["train", "dates", "--resume", "run", "--run-dir", "folder"], "drop --run-dir folder"),
    (["train", "dates", "--resume", "run", "--set", "model.hidden_size=64"],
     "cannot change model.hidden_size (16 -> 64)"),
    (["train", "dates", "--resume", "run", "--model", "plain"], "cannot change model.kind"),
    (["train", "seq2seq", "--resume", "run", "--data", "pairs.tsv"],
     "cannot change data.source ('dates' -> 'file')"),
    (["train", "seq2seq", "--data", "bad.tsv", "--run-dir", "run", "--overwrite"],
     "bad.tsv, line 2"),
    (["train", "img2seq", "--csv", "bad.csv", "--tokenizer", "characters", "--run-dir", "new"],
     "needs the columns 'file' and 'target'"),
    # input files that are not regular files
    (["translate", SEQ, "--file", "/dev/zero"], "/dev/zero is not a regular file"),
    (["translate", SEQ, "--file", "fifo"], "fifo is not a regular file"),
    (["translate", SEQ, "--file", "folder"], "folder is not a regular file"),
    (["predict", CLS, "--input", "/dev/zero"], "/dev/zero is not a regular file"),
    (["train", "classify", "--data", "zero.csv"], "zero.csv is not a regular file"),
    (["train", "seq2seq", "--data", "fifo"], "fifo is not a regular file"),
    (["eval", SEQ, "--data", "/dev/zero"], "/dev/zero is not a regular file"),
    (["predict", IMG, "{strip}"], "more than 20 times longer than wide"),
    # texts that are not UTF-8 (the shell passes the bytes; Python holds them as surrogates)
    (["predict", CLS, "good \udcff film", "--html", "page.html"],
     "argument texts: 'good \\xff film' is not valid UTF-8 (byte b'\\xff')"),
    (["translate", SEQ, "3/1\udcff/93"], "is not valid UTF-8"),
    # outputs checked before the work
    (["predict", CLS, "a fine film", "--html", "folder"], "folder is a folder"),
    (["predict", CLS, "--input", "texts.txt", "--output", "folder"], "folder is a folder"),
    (["predict", CLS, "a fine film", "--html", "/proc/page.html"], "cannot write /proc/"),
    (["translate", SEQ, "2/10/93", "--heatmap", "folder"], "folder is a folder"),
    (["export", SEQ, "--output", "/proc/model.safetensors"], "cannot write /proc/"),
    (["predict", IMG, PNG, "--attention", "notes.txt/strip.png"], "notes.txt is a file"),
    (["predict", IMG, PNG, "--attention", "/proc/strip.png"], "cannot write /proc/"),
    # crafted checkpoints
    (["info", "{list_header}"], "a JSON list, not an object"),
    (["translate", "{string_header}", "2/10/93"], "a JSON str, not an object"),
    (["info", "{deep_header}"], "corrupt attnkit header"),
    (["info", "{no_param_groups}"], "corrupt optimiser state"),
    (["translate", "{no_param_groups}", "2/10/93"], "corrupt optimiser state"),
    (["translate", "{float_length}", "2/10/93"], "invalid max_source_length"),
    (["translate", "{huge_hidden}", "2/10/93"], "hidden_size must be from 1 to 8,192"),
    (["translate", "{wide_hidden}", "2/10/93"], "weights do not fit the model"),
    (["translate", "{long_decode}", "2/10/93"], "invalid max_target_length"),
    (["predict", "{huge_reader}", "{image}"], "hidden_size must be from 1 to 8,192"),
    (["predict", "{wide_reader}", "{image}"], "weights do not fit the model"),
    (["predict", "{long_reading}", "{image}"], "invalid max_length"),
    (["predict", "{text_length}", PNG], "invalid max_length"),
    (["predict", "{unknown_model_key}", "a fine film"], "unknown recipe key 'model.colour'"),
    (["predict", "{no_tokenizer}", "a fine film"], "lacks tokenizer"),
    (["predict", "{tokenizer_key}", "a fine film"],
     "tokenizer_key.safetensors: the tokenizer settings have an unknown key 'colour'"),
    (["predict", "{tokenizer_type}", "a fine film"],
     "the tokenizer setting 'split' must be a str, got"),
    (["predict", "{few_classes}", "a fine film"], "names 1 classes for a model of 2"),
]


@pytest.mark.parametrize("arguments, message", CASES,
                         ids=[" ".join(arguments)[:60] for arguments, _ in CASES])
def test_bad_input_is_one_error_line_exit_1_and_writes_nothing(arguments, message, inputs,
                                                               workplace, capsys):
    names = {**{key: str(path) for key, path in RUNS.items()},
             **{key: str(path) for key, path in inputs.items()}}
    argv = [argument.format(**names) for argument in arguments]
    hostile = next(iter(inputs.values())).parent
    before = snapshot(workplace, OLD, hostile)
    assert main(argv) == 1
    error = capsys.readouterr().err
    assert error.startswith("error: ") and error.count("\n") == 1, error
    assert message in error and "Traceback" not in error
    assert snapshot(workplace, OLD, hostile) == before


ONNX_CASES = [  # crafted exports (tests/crafted_onnx.py): metadata is data, never a path to follow
    ("onnx_not_json", "has a corrupt attnkit description"),
    ("onnx_graphs_list", "has a corrupt attnkit description"),
    ("onnx_absolute", "(its graphs) names the file '/etc/passwd': it must be a bare file name"),
    ("onnx_parent", "(its graphs) names the file '../first.step.onnx': it must be a bare"),
    ("onnx_number", "(its graphs) names the file '5': it must be a bare file name in its own"),
    ("onnx_link_zero", "(its graphs) names the file 'zero.onnx', a link that leads out of its"),
    ("onnx_link_out", "(its graphs) names the file 'out.onnx', a link that leads out of its"),
    ("onnx_fifo", "fifo.onnx is not a regular file"),
    ("onnx_folder", "folder.onnx is not a regular file"),
    ("onnx_no_interface", "has a corrupt attnkit description (how its graphs connect)"),
    ("onnx_positions", "has a corrupt attnkit description (how its graphs connect)"),
    ("onnx_no_hash", "does not record the SHA-256 of first.step.onnx"),
    ("onnx_other_step", "is not the graph first.onnx was exported with (its SHA-256 differs)"),
    ("onnx_version", "was exported in ONNX format version 99"),
    ("onnx_step_given", "is the step graph of an export; give its first.onnx instead"),
]


@pytest.fixture(scope="module")
def onnx_inputs(tmp_path_factory) -> dict[str, Path]:
    require_module("onnx", ONNX)
    require_module("onnxruntime", ONNX)
    return crafted_exports(tmp_path_factory.mktemp("onnx"), RUNS["seq2seq"])


@pytest.mark.parametrize("name, message", ONNX_CASES, ids=[name for name, _ in ONNX_CASES])
def test_crafted_onnx_exports_are_one_error_line_and_open_nothing_else(name, message,
                                                                        onnx_inputs, workplace,
                                                                        capsys):
    export = onnx_inputs[name]
    before = snapshot(workplace, export.parent.parent)
    assert main(["translate", str(export), "2/10/93"]) == 1
    error = capsys.readouterr().err
    assert error.startswith("error: ") and error.count("\n") == 1, error
    assert message in error and "Traceback" not in error
    assert snapshot(workplace, export.parent.parent) == before

