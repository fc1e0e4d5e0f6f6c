"""What the seq2seq commands refuse: exit status 1, one `error:` line naming the problem, no
traceback, and nothing written (the runs and the files the command would write are untouched)."""

import pytest

from attnkit.cli import main

from .runs import TINY, TINY_MODEL, addition_pairs, write_fixed_width, write_tsv

DATES, PEEKY, NEW = "{dates}", "{peeky}", "{new}"
CASES = [
    (["train", "dates", "--engine", "numpy", "--resume", DATES],
     "--resume is only supported by the torch engine"),
    (["train", "dates", "--resume", NEW], "cannot resume: {new} has no last.safetensors"),
    (["train", "seq2seq", "--resume", PEEKY, "--data", "{other}"], "cannot change data.file"),
    (["train", "dates", "--set", "data.source=file", "--run-dir", NEW],
     "data.source is 'file' but no data file was given (--data FILE)"),
    (["train", "seq2seq", "--data", "{one_pair}", "--run-dir", NEW],
     "has 1 pairs: too few to hold out validation pairs"),
    (["train", "seq2seq", "--data", "{additions}", "--val", "{missing}", "--run-dir", NEW],
     "missing.tsv: no such file"),
    (["train", "seq2seq", "--data", "{additions}", "--format", "tsv", "--run-dir", NEW],
     "additions.txt, line 1: expected 'source<TAB>target'"),
    (["train", "seq2seq", "--data", "{additions}", "--set", "decode.grammar=iso_date",
      "--run-dir", NEW, *TINY_MODEL], "decode.grammar iso_date needs the characters '-'"),
    (["train", "dates", "--engine", "numpy", "--set", "train.optimizer=adamw", "--run-dir", NEW,
      *TINY], "the NumPy engine trains with Adam without weight decay"),
    (["compare", "--models", "plain,big", "--run-dir", NEW], "--models: unknown kinds ['big']"),
    (["compare", "--resume", DATES], "compare cannot resume"),
    (["eval", PEEKY], "this run has no generated test split; pass --data FILE"),
    (["eval", DATES, "--data", "{tsv}", "--format", "fixed"],
     "pairs.tsv, line 1: expected 'source _target'"),
    (["translate", DATES], "nothing to translate: give texts or --file"),
    (["translate", DATES, "--file", "{missing}"], "missing.tsv: no such file"),
    (["translate", PEEKY, "3+4", "--heatmap", "{png}"],
     "this model has no attention to draw (plain/peeky seq2seq)"),
]


def snapshot(*folders):
    return {path: path.read_bytes() if path.is_file() else None
            for folder in folders for path in sorted([folder, *folder.rglob("*")])}


@pytest.mark.parametrize("arguments, message", CASES,
                         ids=[" ".join(arguments)[:50] for arguments, _ in CASES])
def test_refused_with_one_line_exit_1_and_nothing_written(arguments, message, date_run,
                                                          peeky_file_run, tmp_path, capsys):
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    paths = {"dates": date_run, "peeky": peeky_file_run, "new": tmp_path / "new",
             "additions": write_fixed_width(inputs / "additions.txt", addition_pairs()),
             "other": write_fixed_width(inputs / "other.txt", addition_pairs()[:50]),
             "one_pair": write_tsv(inputs / "one.tsv", [("1+1", "2")]),
             "tsv": write_tsv(inputs / "pairs.tsv", [("2/10/93", "1993-02-10")]),
             "missing": inputs / "missing.tsv", "png": tmp_path / "map.png"}
    before = snapshot(date_run, peeky_file_run, tmp_path)
    assert main([argument.format(**paths) for argument in arguments]) == 1
    error = capsys.readouterr().err
    assert error.startswith("error: ") and error.count("\n") == 1, error
    assert message.format(**paths) in error and "Traceback" not in error
    assert snapshot(date_run, peeky_file_run, tmp_path) == before
