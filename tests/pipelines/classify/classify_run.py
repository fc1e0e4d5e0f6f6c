"""One tiny classifier trained by `attnkit train imdb` on the IMDB slice, once per session.

It stacks an n-gram branch, so its best checkpoint is a StackedClassifier and its last one the
plain attention model: the round-trip tests cover both."""

from __future__ import annotations

import functools
import os
import tempfile
from pathlib import Path

from attnkit.cli import main

from ...data.imdb_slice import slice_data_dir
from ...threads import one_thread  # noqa: F401  (re-exported to the tests)

# 6 epochs of batch 32 at lr 0.01: the attention model leaves chance (0.46 -> 0.72 validation
# accuracy on the slice; at 2 epochs of batch 64 it never did), so the tests of the attention
# half and of the stacking have a model that learnt something.
TINY = ["data.vocab_size=3000", "data.max_length=80", "model.embedding_size=32",
        "model.hidden_size=16", "model.attention_units=16", "train.epochs=6",
        "train.batch_size=32", "train.lr=0.01", "train.early_stopping_patience=0",
        "data.ngram_order=2"]




@functools.lru_cache(maxsize=1)
def _train(data_dir: str) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="attnkit-classify-"))
    home = os.environ.get("HOME")
    os.environ["HOME"] = str(folder)  # the token cache goes to ~/.cache: keep it temporary
    try:
        code = main(["train", "imdb", "--data-dir", data_dir, "--run-dir", str(folder / "run"),
                     *[part for value in TINY for part in ("--set", value)]])
    finally:
        if home is not None:
            os.environ["HOME"] = home
    if code != 0:
        raise RuntimeError(f"training the test classifier failed with status {code}")
    return folder / "run"


def trained_run_dir() -> Path:
    """The run folder (skips the test when there is no IMDB data)."""
    return _train(str(slice_data_dir()))


def export_onnx_pair(run: Path, folder: Path) -> dict[str, Path]:
    """The run's best checkpoint exported to ONNX in fp32, and its last one with int8 weights:
    {"fp32": path, "int8": path}."""
    with one_thread():
        for name, source, options in (("fp32", run, []),
                                      ("int8", run / "last.safetensors", ["--int8"])):
            assert main(["export", str(source), "--format", "onnx", *options,
                         "--output", str(folder / f"{name}.onnx")]) == 0
    return {"fp32": folder / "fp32.onnx", "int8": folder / "int8.onnx"}
