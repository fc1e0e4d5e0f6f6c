"""`attnkit export --format onnx [--int8]` of the tiny IMDB classifier: the graph of the
stacked model computes what the torch model computes, the int8 attention model agrees with
fp32, `predict` runs an export (or a run exported on the fly with --runtime onnx) as it runs
the run, and what is not an attnkit export fails in one line."""

import sys

import numpy as np
import pytest
import torch
from torch.testing import assert_close

import attnkit
from attnkit.cli import main
from attnkit.pipelines import exporting
from attnkit.pipelines.classify.data import collate, run_model
from attnkit.pipelines.classify.predictor import TextClassifier, class_probabilities
from attnkit.runtime.onnx_graphs import OnnxGraph

from ...data.imdb_slice import slice_reviews
from ...unavailable import ONNX, require_module
from .classify_run import export_onnx_pair, trained_run_dir

TOLERANCE = {"atol": 1e-4, "rtol": 0.0}
TEXTS = ["A wonderful, moving film.", "Dull and far too long; a waste of an evening."]


@pytest.fixture(scope="module")
def run():
    return trained_run_dir()


@pytest.fixture(scope="module")
def exported(run, tmp_path_factory):
    """The run's best checkpoint (stacked with the n-gram branch) exported in fp32, and its
    last one (the attention model alone) with int8 weights."""
    return export_onnx_pair(run, tmp_path_factory.mktemp("onnx"))


def one_line_error(capsys):
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    return err


def test_the_graph_equals_torch_on_100_reviews(run, exported):
    classifier = TextClassifier.from_checkpoint(run, "cpu")
    encoded = [classifier.encode_lenient(text) for text in slice_reviews()["test"].texts[:100]]
    dataset = classifier.dataset(encoded)
    batch = collate([dataset[i] for i in range(len(dataset))])
    inputs = {key: value for key, value in batch.items() if key != "labels"}
    with torch.no_grad():
        logits, weights = run_model(classifier.model, batch)
    found = OnnxGraph(exported["fp32"], exported["fp32"].read_bytes())(**inputs)
    assert set(found) == {"logits", "probabilities", "weights"}
    assert_close(found["logits"], logits, **TOLERANCE)
    assert_close(found["probabilities"], class_probabilities(logits), **TOLERANCE)
    assert_close(found["weights"], weights, **TOLERANCE)
    assert (found["weights"][~(torch.arange(weights.shape[1]) < batch["lengths"][:, None])]
            == 0).all()


def test_int8_labels_agree_with_fp32_on_the_test_slice(run, exported):
    """The attention model's LSTMs and matrix products run in int8, and its labels on the
    1,000 test reviews of the slice are fp32's (>= 98 %; 99.5 % when this was written)."""
    onnx = require_module("onnx", ONNX)
    operators = {node.op_type for node in onnx.load(exported["int8"]).graph.node}
    assert {"DynamicQuantizeLSTM", "MatMulInteger"} <= operators
    reviews = slice_reviews()["test"]
    labels = {}
    for name, source in (("fp32", run / "last.safetensors"), ("int8", exported["int8"])):
        classifier = TextClassifier.from_checkpoint(source, "cpu")
        dataset = classifier.dataset([classifier.encode_lenient(text) for text in reviews.texts])
        labels[name] = np.array([p.label for p in classifier.predict_encoded(dataset)])
    assert np.mean(labels["fp32"] == labels["int8"]) >= 0.98


def test_predict_reads_an_export_as_it_reads_the_run(run, exported, capsys):
    printed = []
    for source in (run, exported["fp32"]):
        assert main(["predict", str(source), *TEXTS, "--no-color"]) == 0
        printed.append(capsys.readouterr().out)
    assert printed[0] == printed[1]
    predictions = [attnkit.load(path).predict(TEXTS) for path in (run, exported["fp32"])]
    for mine, theirs in zip(*predictions, strict=True):
        assert mine.label == theirs.label
        assert mine.probabilities == pytest.approx(theirs.probabilities, abs=1e-5)
        assert mine.weights == pytest.approx(theirs.weights, abs=1e-5)


def test_batches_run_at_once_give_what_one_at_a_time_gives(exported):
    """An ONNX classifier runs `workers` batches at once (threads); the predictions are
    those of one batch after another, each in its text's place."""
    texts = slice_reviews()["test"].texts[:150]
    classifier = TextClassifier.from_checkpoint(exported["fp32"], "cpu")  # int8 quantises
    # activations with one scale per batch: other batches, slightly other answers
    assert classifier.batch_size == 16
    classifier.model.workers = 1
    alone = classifier.predict(texts)
    classifier.model.workers = 3
    together = classifier.predict(texts, batch_size=7)
    assert [p.label for p in together] == [p.label for p in alone]
    for mine, theirs in zip(together, alone, strict=True):
        assert mine.probabilities == pytest.approx(theirs.probabilities, abs=1e-5)
        assert len(mine.weights) == len(theirs.weights)


def test_runtime_onnx_exports_a_run_on_the_fly(run, exported, monkeypatch, capsys):
    """`predict RUN --runtime onnx` runs what `exporting.write_onnx` writes (here: a copy of the
    export above, the export itself being tested there) from a temporary folder."""
    written = []

    def copy_export(checkpoint, output, int8=False):
        output.write_bytes(exported["fp32"].read_bytes())
        written.append(output)
        return [output]

    monkeypatch.setattr(exporting, "write_onnx", copy_export)
    capsys.readouterr()
    reports = []
    for options in ([], ["--runtime", "onnx"]):
        assert main(["predict", str(run), *TEXTS, "--no-color", *options]) == 0
        reports.append(capsys.readouterr().out)
    assert reports[0] == reports[1]
    assert len(written) == 1 and not written[0].exists()  # the temporary folder is gone


def test_runtime_onnx_int8_predicts_as_the_int8_export(run, tmp_path, capsys):
    """`predict RUN --runtime onnx-int8` answers as `attnkit export RUN --format onnx --int8`
    does (the same quantised weights); an .onnx file refuses it (it runs as exported)."""
    exported = tmp_path / "int8.onnx"
    assert main(["export", str(run), "--format", "onnx", "--int8", "--output",
                 str(exported)]) == 0
    capsys.readouterr()
    reports = []
    for source, options in ((exported, []), (run, ["--runtime", "onnx-int8"])):
        assert main(["predict", str(source), *TEXTS, "--no-color", *options]) == 0
        reports.append(capsys.readouterr().out)
    assert reports[0] == reports[1] and "A wonderful" in reports[0]
    assert main(["predict", str(exported), *TEXTS, "--runtime", "onnx-int8"]) == 1
    assert "is an ONNX export already" in one_line_error(capsys)


def test_weights_only_safetensors_predicts_as_the_run(run, tmp_path):
    path = tmp_path / "weights.safetensors"
    assert main(["export", str(run), "--output", str(path)]) == 0
    predictions = [TextClassifier.from_checkpoint(source).predict(TEXTS)
                   for source in (run, path)]
    assert predictions[0] == predictions[1]


def test_bad_onnx_inputs_fail_in_one_line(run, exported, tmp_path, monkeypatch, capsys):
    onnx = require_module("onnx", ONNX)
    foreign = tmp_path / "foreign.onnx"
    value = onnx.helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [1])
    graph = onnx.helper.make_graph([onnx.helper.make_node("Identity", ["x"], ["y"])], "g",
                                   [value], [onnx.helper.make_tensor_value_info(
                                       "y", onnx.TensorProto.FLOAT, [1])])
    onnx.save(onnx.helper.make_model(graph), foreign)
    garbage = tmp_path / "garbage.onnx"
    garbage.write_bytes(b"\x00not a protobuf\xff" * 10)
    capsys.readouterr()
    assert main(["predict", str(foreign), "a text"]) == 1
    assert "not one attnkit exported" in one_line_error(capsys)
    assert main(["predict", str(garbage), "a text"]) == 1
    assert "not a readable ONNX file" in one_line_error(capsys)
    assert main(["export", str(run), "--int8", "--output", str(tmp_path / "x.safetensors")]) == 1
    assert "add --format onnx" in one_line_error(capsys)
    assert main(["export", str(run), "--format", "onnx", "--output",
                 str(tmp_path / "x.safetensors")]) == 1
    assert "must end in .onnx" in one_line_error(capsys)
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # as if it were not installed
    assert main(["predict", str(exported["fp32"]), "a text"]) == 1
    assert "pip install 'attnkit[onnx]'" in one_line_error(capsys)
    assert main(["eval", str(run), "--runtime", "onnx"]) == 1
    assert "pip install 'attnkit[onnx]'" in one_line_error(capsys)


def test_info_counts_the_weights_of_an_export(run, exported, capsys):
    capsys.readouterr()
    assert main(["info", str(run / "last.safetensors")]) == 0
    counted = capsys.readouterr().out.split("parameters")[1].split()[0]
    assert main(["info", str(exported["int8"])]) == 0
    line = next(line for line in capsys.readouterr().out.splitlines()
                if line.startswith("parameters"))
    assert "int8 ONNX initializers" in line
    # the graph's own numbers: the same weights, give or take folded biases and constants
    assert abs(int(line.split()[1].replace(",", "")) - int(counted.replace(",", ""))) < 1_000
