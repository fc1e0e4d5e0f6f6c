"""Tiny seq2seq runs for the CLI tests: recipe overrides that keep training to about a second,
and a small file of addition pairs for `attnkit train seq2seq --data`."""

from __future__ import annotations

from pathlib import Path

from attnkit.cli import main

from ...threads import one_thread  # noqa: F401  (re-exported to the tests)

TINY = ["--set", "data.train_size=300", "--set", "data.val_size=40", "--set",
        "data.test_size=40", "--set", "model.hidden_size=32", "--set", "model.embedding_size=8",
        "--set", "train.epochs=1", "--set", "data.eval_batch_size=64"]
TINY_MODEL = TINY[6:]  # without the sizes of the generated date splits


def addition_pairs() -> list[tuple[str, str]]:
    """The 144 sums `a+b` of a, b < 12 and their results."""
    return [(f"{a}+{b}", str(a + b)) for a in range(12) for b in range(12)]


def write_fixed_width(path: Path, pairs: list[tuple[str, str]]) -> Path:
    """The book's date.txt/addition.txt layout: the source padded with spaces, `_`, the target."""
    width = max(len(source) for source, _ in pairs) + 1
    path.write_text("".join(f"{source:<{width}}_{target}\n" for source, target in pairs))
    return path


def write_tsv(path: Path, pairs: list[tuple[str, str]]) -> Path:
    path.write_text("".join(f"{source}\t{target}\n" for source, target in pairs))
    return path


def train_additions(run_dir: Path, *options: str) -> Path:
    """`attnkit train seq2seq` on the addition pairs (a fixed-width file beside `run_dir`)."""
    data = write_fixed_width(run_dir.parent / f"{run_dir.name}-additions.txt", addition_pairs())
    assert main(["train", "seq2seq", "--data", str(data), "--run-dir", str(run_dir),
                 *TINY_MODEL, *options]) == 0
    return run_dir


