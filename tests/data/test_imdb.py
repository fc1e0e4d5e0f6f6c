import numpy as np
import pytest

from attnkit.data.imdb import find_imdb_source, load_imdb_corpus, read_imdb
from attnkit.data.text_tokenizer import TextTokenizer
from attnkit.errors import AttnkitError

from .imdb_slice import PER_CLASS, slice_corpus, slice_data_dir, slice_reviews, write_folder


def test_slice_is_balanced_and_labelled():
    reviews = slice_reviews()
    for split in ("train", "test"):
        assert len(reviews[split].texts) == 2 * PER_CLASS
        assert sum(reviews[split].labels) == PER_CLASS
        assert all(text.strip() for text in reviews[split].texts)
    assert "<br />" in " ".join(reviews["train"].texts)  # raw text, as Keras would see it


def test_extracted_folder_gives_the_same_corpus_as_the_archive(tmp_path):
    small = {name: type(split)(split.texts[::50], split.labels[::50])
             for name, split in slice_reviews().items()}
    write_folder(tmp_path / "data", small)
    source = find_imdb_source(tmp_path / "data")
    assert source.name == "aclImdb"
    again = read_imdb(source)
    for name in small:
        # canonical order: neg before pos, then by id
        assert sorted(small[name].labels) == again[name].labels
        assert sorted(small[name].texts) == sorted(again[name].texts)


def test_cache_is_written_reused_and_keyed_by_tokenizer(tmp_path):
    data_dir = slice_data_dir()
    first = load_imdb_corpus(data_dir, TextTokenizer(), tmp_path, per_class_limit=20)
    assert len(list(tmp_path.glob("imdb-*.npz"))) == 1
    second = load_imdb_corpus(data_dir, TextTokenizer(), tmp_path, per_class_limit=20)
    assert second.words == first.words
    np.testing.assert_array_equal(second.splits["test"].ids, first.splits["test"].ids)
    cleaned = load_imdb_corpus(data_dir, TextTokenizer(strip_html_breaks=True), tmp_path,
                               per_class_limit=20)
    assert len(list(tmp_path.glob("imdb-*.npz"))) == 2
    assert "br" in first.words and "br" not in cleaned.words


def test_slice_corpus_keeps_the_last_tokens():
    corpus = slice_corpus()
    train = corpus.splits["train"]
    lengths = np.diff(train.offsets)
    longest = int(np.argmax(lengths))
    sequences = train.sequences(vocab_size=1000, max_length=100)
    assert len(sequences[longest]) == 100 and lengths[longest] > 100
    full = train.sequences(vocab_size=1000, max_length=10**6)[longest]
    np.testing.assert_array_equal(sequences[longest], full[-100:])
    assert max(int(ids.max()) for ids in sequences) < 1000


def test_data_dir_without_the_layout_is_a_clear_error(tmp_path):
    with pytest.raises(AttnkitError, match="no IMDB data in .*aclImdb_v1.tar.gz"):
        find_imdb_source(tmp_path)
    (tmp_path / "aclImdb" / "train" / "pos").mkdir(parents=True)
    (tmp_path / "aclImdb" / "train" / "pos" / "1_8.txt").write_text("fine")
    with pytest.raises(AttnkitError, match=r"aclImdb layout: no reviews in train/neg"):
        read_imdb(find_imdb_source(tmp_path))


def test_broken_archive_and_non_utf8_review_are_clear_errors(tmp_path):
    (tmp_path / "aclImdb_v1.tar.gz").write_bytes(b"not a tar file")
    with pytest.raises(AttnkitError, match="cannot read IMDB archive"):
        read_imdb(find_imdb_source(tmp_path))
    folder = tmp_path / "other"
    for split in ("train", "test"):
        for label in ("neg", "pos"):
            (folder / "aclImdb" / split / label).mkdir(parents=True)
            (folder / "aclImdb" / split / label / "0_1.txt").write_text("ok")
    (folder / "aclImdb" / "test" / "pos" / "3_9.txt").write_bytes(b"caf\xe9 au lait")
    with pytest.raises(AttnkitError, match=r"3_9.txt: byte 3 is not valid UTF-8"):
        read_imdb(find_imdb_source(folder))
