import numpy as np
import pytest

from attnkit.data.bigrams import OTHER_PAIR, BigramTable, split_like
from attnkit.data.text_tokenizer import TextTokenizer
from attnkit.data.token_corpus import encode_corpus
from attnkit.errors import AttnkitError

TEXTS = {"train": ["not good at all", "very good, not bad", "not good. not bad", "good"],
         "test": ["not good and not unseen", "", "bad"]}
LABELS = {"train": [0, 1, 0, 1], "test": [0, 1, 1]}


def test_most_frequent_pairs_first_and_first_word_has_no_pair():
    corpus = encode_corpus(TEXTS, LABELS, TextTokenizer())
    table = BigramTable.build(corpus.splits["train"], corpus.words, size=5)
    assert table.pairs[:2] == ["not good", "not bad"] and len(table) == 5
    assert table.encode(["not", "good", "zzz"]) == [OTHER_PAIR, 2, OTHER_PAIR]


@pytest.mark.parametrize("max_length", [2, 100])
def test_corpus_ids_equal_ids_from_raw_text(max_length):
    """What training sees (ranked corpus ids) equals what predict computes from words."""
    tokenizer = TextTokenizer()
    corpus = encode_corpus(TEXTS, LABELS, tokenizer)
    table = BigramTable.build(corpus.splits["train"], corpus.words, size=6)
    for name, texts in TEXTS.items():
        split = corpus.splits[name]
        got = split_like(table.corpus_ids(split, corpus.words), split, max_length)
        for ids, text in zip(got, texts, strict=True):
            expected = table.encode(tokenizer.tokenize(text))[-max_length:]
            assert list(ids) == expected, text


def test_a_table_from_another_corpus_maps_by_words():
    tokenizer = TextTokenizer()
    corpus = encode_corpus(TEXTS, LABELS, tokenizer)
    table = BigramTable(["good and", "not good"])  # e.g. read back from a checkpoint
    ids = table.corpus_ids(corpus.splits["test"], corpus.words)
    assert list(ids[:5]) == [OTHER_PAIR, 3, OTHER_PAIR, OTHER_PAIR, OTHER_PAIR]
    with pytest.raises(AttnkitError, match="the bigram table needs at least 3 entries, got 2"):
        BigramTable.build(corpus.splits["train"], corpus.words, size=2)
    assert np.all(ids >= OTHER_PAIR)
