"""`attnkit train classify` on a user's file: any number of classes, validation split."""

import json

from attnkit.cli import main
from attnkit.pipelines.classify.data import class_order
from attnkit.pipelines.classify.predictor import TextClassifier
from attnkit.run.checkpoint import read_header

from .topic_runs import write_topics


def test_three_classes_with_bigrams_and_ngrams_train_predict_and_eval(tmp_path, capsys):
    write_topics(tmp_path / "train.tsv", 240, seed=0)
    write_topics(tmp_path / "val.tsv", 30, seed=1)
    run = tmp_path / "run"
    settings = ["model.embedding_size=16", "model.hidden_size=16", "model.attention_units=8",
                "model.input_dropout=0.0", "model.dense_dropout=0.0", "train.epochs=6",
                "train.batch_size=16", "train.lr=0.01", "data.bigram_vocab_size=30",
                "data.ngram_order=2", "data.ngram_min_count=1"]
    arguments = ["train", "classify", "--data", str(tmp_path / "train.tsv"),
                 "--val-data", str(tmp_path / "val.tsv"), "--text-col", "sentence",
                 "--label-col", "topic", "--run-dir", str(run)]
    assert main(arguments + [part for s in settings for part in ("--set", s)]) == 0
    meta = read_header(run / "best.safetensors")["meta"]
    assert meta["classes"] == ["food", "music", "sport"]
    assert meta["recipe"]["model"]["num_classes"] == 3
    assert len(meta["bigrams"]) == 28 and meta["recipe"]["model"]["bigram_vocab_size"] == 30
    assert "model" not in meta  # the model as built is the recipe's, once
    assert meta["ngrams"]["order"] == 2 and meta["ngrams"]["table_size"] > 0
    [prediction] = TextClassifier.from_checkpoint(run, "cpu").predict(["the band and a song"])
    assert prediction.label == "music" and len(prediction.probabilities) == 3
    capsys.readouterr()
    assert main(["eval", str(run), "--data", str(tmp_path / "val.tsv")]) == 0
    report = capsys.readouterr().out
    assert "macro average" in report and float(report.split("accuracy")[1].split()[0]) > 0.9
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert records[-1]["val_accuracy"] > 0.9


def test_class_order_is_natural():
    assert class_order(["10", "2", "1", "2"]) == ["1", "2", "10"]
    assert class_order(["pos", "neg"]) == ["neg", "pos"]
