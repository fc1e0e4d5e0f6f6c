"""What the classify commands refuse: exit status 1, one `error:` line naming the problem, no
traceback, and nothing written (the run and the files the command would write are untouched)."""

import pytest

from attnkit.cli import main

from .classify_run import one_thread
from .topic_runs import topic_arguments, train_topics, write_topics

RUN, NEW = "{run}", "{new}"
CASES = [
    (["eval", RUN], "this run was not trained on IMDB: pass --data FILE to evaluate on"),
    (["eval", RUN, "--data", "{poetry}"], "poetry.tsv: labels ['poetry'] are not among the "
     "model's classes ['food', 'music', 'sport']"),
    (["eval", RUN, "--data", "{topics}", "--text-col", "review"], "no column 'review'"),
    (["predict", RUN], "give either texts to classify or --input FILE (one text a line)"),
    (["predict", RUN, "the band", "--input", "{texts}"], "give either texts to classify or"),
    (["predict", RUN, "the band", "the chef", "--html", "{page}"],
     "--html shows one text: give exactly one text, not --input"),
    (["predict", RUN, "the band", "--output", "{out}"],
     "--output writes predictions for --input FILE"),
    (["predict", RUN, "--input", "{blank}"], "blank.txt: no text in the file"),
    (["train", "classify", *topic_arguments("{two}"), "--set", "data.validation_fraction=0.9",
      "--run-dir", NEW], "2 training texts are too few to hold out data.validation_fraction=0.9"),
    (["train", "classify", *topic_arguments("{topics}"), "--val-data", "{poetry}", "--run-dir",
      NEW], "poetry.tsv: labels ['poetry'] are not among the model's classes"),
    (["train", "classify", *topic_arguments("{topics}"), "--resume", NEW],
     "cannot resume: {new} has no last.safetensors"),
    (["train", "classify", *topic_arguments("{topics}"), "--resume", RUN, "--set",
      "model.hidden_size=8"], "--resume cannot change model.hidden_size (16 -> 8)"),
]


@pytest.fixture(scope="module")
def topic_run(tmp_path_factory):
    with one_thread():
        return train_topics(tmp_path_factory.mktemp("classify") / "run")


def snapshot(*folders):
    return {path: path.read_bytes() if path.is_file() else None
            for folder in folders for path in sorted([folder, *folder.rglob("*")])}


@pytest.mark.parametrize("arguments, message", CASES,
                         ids=[" ".join(arguments)[:50] for arguments, _ in CASES])
def test_refused_with_one_line_exit_1_and_nothing_written(arguments, message, topic_run,
                                                          tmp_path, capsys):
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    (inputs / "texts.txt").write_text("the band\n")
    (inputs / "blank.txt").write_text("\n  \n")
    (inputs / "two.tsv").write_text("sentence\ttopic\nthe band\tmusic\nthe chef\tfood\n")
    (inputs / "poetry.tsv").write_text("sentence\ttopic\nthe band\tmusic\na rhyme\tpoetry\n")
    paths = {"run": topic_run, "new": tmp_path / "new", "page": tmp_path / "page.html",
             "out": tmp_path / "out.jsonl", "topics": write_topics(inputs / "topics.tsv", 30, 1),
             **{name: inputs / f"{name}.{kind}" for name, kind in
                (("texts", "txt"), ("blank", "txt"), ("two", "tsv"), ("poetry", "tsv"))}}
    before = snapshot(topic_run, tmp_path)
    assert main([argument.format(**paths) for argument in arguments]) == 1
    error = capsys.readouterr().err
    assert error.startswith("error: ") and error.count("\n") == 1, error
    assert message.format(**paths) in error and "Traceback" not in error
    assert snapshot(topic_run, tmp_path) == before
