"""One tiny classifier trained by `attnkit train imdb` on the IMDB slice, once per session."""

from __future__ import annotations

import functools
import os
import tempfile
from pathlib import Path

from attnkit.cli import main

from ..data.imdb_slice import slice_data_dir

TINY = ["data.vocab_size=3000", "data.max_length=80", "model.embedding_size=32",
        "model.hidden_size=16", "model.attention_units=16", "train.epochs=2",
        "train.batch_size=64", "train.lr=0.005"]


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
