"""A small balanced slice of the real IMDB data, read once per test session.

Skips the calling test, with the reason, when $ATTNKIT_DATA has no IMDB data (the Makefile
points it at ../shared/data); fails it in CI (`tests/shared_data.py`).
"""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path

from attnkit.data.imdb import ImdbSplit, find_imdb_source, load_imdb_corpus, read_imdb
from attnkit.data.text_tokenizer import TextTokenizer
from attnkit.data.token_corpus import TokenCorpus
from attnkit.errors import AttnkitError

from ..shared_data import data_dir, data_unavailable

PER_CLASS = 500


def imdb_data_dir() -> Path:
    """$ATTNKIT_DATA when it holds IMDB data, else skip the test (fail it in CI)."""
    folder = data_dir()
    try:
        find_imdb_source(folder)
    except AttnkitError as error:
        data_unavailable(str(error))
    return folder


@functools.lru_cache(maxsize=1)
def _slice_reviews(folder: str) -> dict[str, ImdbSplit]:
    return read_imdb(find_imdb_source(Path(folder)), per_class_limit=PER_CLASS)


@functools.lru_cache(maxsize=1)
def _slice_folder(folder: str) -> Path:
    root = Path(tempfile.mkdtemp(prefix="attnkit-imdb-slice-"))
    write_folder(root, _slice_reviews(folder))
    return root


@functools.lru_cache(maxsize=1)
def _slice_corpus(folder: str) -> TokenCorpus:
    data_dir = _slice_folder(folder)
    return load_imdb_corpus(data_dir, TextTokenizer(), data_dir / "cache")


def write_folder(root: Path, reviews: dict[str, ImdbSplit]) -> Path:
    """An extracted aclImdb/ folder under `root` holding `reviews` (split -> ImdbSplit)."""
    for split, data in reviews.items():
        for position, (text, label) in enumerate(zip(data.texts, data.labels, strict=True)):
            folder = root / "aclImdb" / split / ("neg", "pos")[label]
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{position}_7.txt").write_text(text, encoding="utf-8")
    return root


def slice_reviews() -> dict[str, ImdbSplit]:
    """{"train", "test"}: PER_CLASS reviews per label each, raw text."""
    return _slice_reviews(str(imdb_data_dir()))


def slice_data_dir() -> Path:
    """A temporary data folder holding the slice as an extracted aclImdb/ folder."""
    return _slice_folder(str(imdb_data_dir()))


def slice_corpus() -> TokenCorpus:
    """The same slice tokenised with the Keras-default tokenizer."""
    return _slice_corpus(str(imdb_data_dir()))
