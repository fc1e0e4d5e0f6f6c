"""The README's Python example, run as a user would: its own words, in a fresh folder."""

import re
from pathlib import Path

from attnkit.run.checkpoint import read_header

README = Path(__file__).resolve().parents[1] / "README.md"


def python_example(containing: str) -> str:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    [block] = [block for block in blocks if containing in block]
    return block


def test_the_training_example_keeps_a_later_epoch_and_reads_its_two_reviews(
        tmp_path, monkeypatch, capsys):
    """Its 10 epochs reach validation accuracy 1.0 early and tie from then on; the kept run
    must be the tied epoch with the lowest validation loss, not the first (issue #27)."""
    monkeypatch.chdir(tmp_path)
    exec(compile(python_example('"reviews.csv"'), "README.md", "exec"), {})
    printed = capsys.readouterr().out
    header = read_header(tmp_path / "runs" / "reviews" / "best.safetensors")
    accuracy = [record["val_accuracy"] for record in header["history"]]
    first_best = accuracy.index(max(accuracy)) + 1
    assert header["epoch"] > first_best, (accuracy, header["trainer"]["kept"])
    assert f"kept epoch {header['epoch']} (" in printed
    labels = [line.split()[0] for line in printed.splitlines()[-2:]]
    assert labels == ["pos", "neg"], printed
