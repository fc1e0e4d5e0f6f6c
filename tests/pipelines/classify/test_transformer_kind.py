"""`model.kind: transformer` through the classify pipeline: a tiny Transformer trained by
`attnkit train classify --set model.kind=transformer` on the three-topic sentences learns them
and attends to the topic word; it stacks with the n-gram branch; its records are one from the
CLI and the API; its ONNX export (fp32, int8) answers as torch does; `predict --heads` draws its
self-attention; the shipped recipe `imdb_transformer` trains on a user's file."""

import json

import numpy as np
import pytest
import torch
from PIL import Image
from torch.testing import assert_close

from attnkit.cli import main
from attnkit.models.stacked_classifier import StackedClassifier
from attnkit.models.transformer_classifier import TransformerClassifier
from attnkit.pipelines.classify.data import collate, run_model
from attnkit.pipelines.classify.predictor import TextClassifier, class_probabilities
from attnkit.run.checkpoint import read_header
from attnkit.runtime.onnx_graphs import OnnxGraph

from .classify_run import export_onnx_pair, one_thread
from .topic_runs import WORDS, topic_arguments, train_topics, write_topics

TRANSFORMER = ["model.kind=transformer", "model.transformer.model_size=16",
               "model.transformer.heads=2", "model.transformer.ff_size=32",
               "model.transformer.layers=2", "model.transformer.dropout=0.0",
               "model.dense_dropout=0.0", "train.epochs=8", "data.ngram_order=2",
               "data.ngram_min_count=1"]
# one topic word among filler words: the word a model that learnt the topics must attend to
ONE_WORD = {"sport": "the coach was", "food": "it was a recipe", "music": "this and guitar"}
TOLERANCE = {"atol": 1e-4, "rtol": 0.0}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    with one_thread():
        return train_topics(tmp_path_factory.mktemp("transformer") / "run",
                            *[part for value in TRANSFORMER for part in ("--set", value)])


@pytest.fixture(scope="module")
def exported(run, tmp_path_factory):
    """The best checkpoint (stacked) in fp32, the last (the Transformer alone) in int8."""
    return export_onnx_pair(run, tmp_path_factory.mktemp("onnx"))


@pytest.fixture(autouse=True)
def _single_thread():
    with one_thread():
        yield


def test_the_transformer_learns_the_topics_and_attends_to_the_topic_word(run):
    meta = read_header(run / "last.safetensors")["meta"]
    assert meta["recipe"]["model"]["kind"] == "transformer"
    assert meta["recipe"]["model"]["transformer"]["model_size"] == 16
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert records[-1]["val_accuracy"] == 1.0 and records[0]["val_accuracy"] < 0.9
    transformer = TextClassifier.from_checkpoint(run / "last.safetensors", "cpu")
    assert isinstance(transformer.model, TransformerClassifier)
    for topic, text in ONE_WORD.items():
        [prediction] = transformer.predict([text])
        assert prediction.label == topic
        assert prediction.top_tokens(1)[0][0] in WORDS[topic].split()
    stacked = TextClassifier.from_checkpoint(run, "cpu")
    assert isinstance(stacked.model, StackedClassifier)
    assert isinstance(stacked.model.attention, TransformerClassifier)
    assert [p.label for p in stacked.predict(list(ONE_WORD.values()))] == list(ONE_WORD)


def test_the_cli_and_the_api_give_one_record(run, capsys):
    texts = list(ONE_WORD.values())
    assert main(["predict", str(run), *texts, "--json", "--include-attention",
                 "--n-best", "2"]) == 0
    records = json.loads(capsys.readouterr().out)
    predictions = TextClassifier.from_checkpoint(run).predict(texts, n_best=2)
    assert records == [p.to_record(include_attention=True) for p in predictions]
    for record in records:  # the pooling's weights: one per token, summing to 1
        assert len(record["attention"]) == len(record["tokens"])
        assert sum(record["attention"]) == pytest.approx(1, abs=1e-4)


def test_the_onnx_graph_equals_torch(run, exported, tmp_path):
    classifier = TextClassifier.from_checkpoint(run, "cpu")
    texts = [line.split("\t")[0] for line in write_topics(
        tmp_path / "other.tsv", 40, seed=5).read_text().splitlines()[1:]]
    dataset = classifier.dataset([classifier.encode_lenient(text) for text in texts])
    batch = collate([dataset[i] for i in range(len(dataset))])
    with torch.no_grad():
        logits, weights = run_model(classifier.model, batch)
    graph = OnnxGraph(exported["fp32"], exported["fp32"].read_bytes())
    found = graph(**{k: v for k, v in batch.items() if k != "labels"})
    assert_close(found["logits"], logits, **TOLERANCE)
    assert_close(found["probabilities"], class_probabilities(logits), **TOLERANCE)
    assert_close(found["weights"], weights, **TOLERANCE)
    padding = ~(torch.arange(weights.shape[1]) < batch["lengths"][:, None])
    assert (found["weights"][padding] == 0).all()
    onnx = pytest.importorskip("onnx")
    assert "MatMulInteger" in {node.op_type for node in onnx.load(exported["int8"]).graph.node}
    fp32 = TextClassifier.from_checkpoint(run / "last.safetensors", "cpu").predict(texts)
    int8 = TextClassifier.from_checkpoint(exported["int8"]).predict(texts)
    assert np.mean([a.label == b.label for a, b in zip(fp32, int8, strict=True)]) >= 0.95


def test_predict_heads_draws_self_attention_and_refuses_what_has_none(run, exported,
                                                                      tmp_path, capsys):
    classifier = TextClassifier.from_checkpoint(run, "cpu")
    weights, tokens = classifier.self_attention("The coach, the team.")
    assert tokens == ["The", "coach", "the", "team"]  # as written; punctuation is no token
    assert weights.shape == (2, 2, 4, 4)  # layers, heads, rows, columns
    np.testing.assert_allclose(weights.sum(axis=-1), 1, atol=1e-5)
    picture = tmp_path / "heads.png"
    assert main(["predict", str(run), "the coach was", "--heads", str(picture)]) == 0
    assert f"wrote {picture}" in capsys.readouterr().out
    with Image.open(picture) as image:
        assert image.size[0] > image.size[1]  # three panels across, two layers down
    assert main(["predict", str(exported["fp32"]), "the coach was", "--heads",
                 str(tmp_path / "none.png")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: self-attention heads need a Transformer") and \
        err.count("\n") == 1
    assert not (tmp_path / "none.png").exists()


def test_the_shipped_recipe_trains_on_a_users_file(tmp_path):
    data = write_topics(tmp_path / "topics.tsv", 60, seed=2)
    tiny = ["model.transformer.model_size=8", "model.transformer.heads=2",
            "model.transformer.ff_size=8", "model.transformer.layers=1", "train.epochs=1"]
    assert main(["train", "classify", "--config", "imdb_transformer", *topic_arguments(data),
                 "--run-dir", str(tmp_path / "run"),
                 *[part for value in tiny for part in ("--set", value)]]) == 0
    meta = read_header(tmp_path / "run" / "best.safetensors")["meta"]
    assert meta["recipe"]["model"]["kind"] == "transformer" and meta["max_length"] == 400
    assert meta["classes"] == sorted(WORDS)


def test_bilstm_options_a_transformer_lacks_fail_before_training(tmp_path, capsys):
    data = write_topics(tmp_path / "topics.tsv", 30, seed=3)
    assert main(["train", "classify", *topic_arguments(data), "--run-dir",
                 str(tmp_path / "run"), "--set", "model.kind=transformer", "--set",
                 "model.pooling=attention_mean_max"]) == 1
    err = capsys.readouterr().err
    assert "BiLSTM option" in err and err.count("\n") == 1
    assert not (tmp_path / "run").exists()
