from collections import Counter

import pytest

from attnkit.data.text_tokenizer import TextTokenizer
from attnkit.data.token_corpus import encode_corpus
from attnkit.data.word_vocab import OOV_ID, PAD_ID, WordVocabulary
from attnkit.errors import AttnkitError


def test_keras_order_most_frequent_first_ties_by_first_appearance():
    # Keras Tokenizer.fit_on_texts(["b a", "a c d"]) -> word_index a:1, b:2, c:3, d:4
    vocabulary = WordVocabulary.build([["b", "a"], ["a", "c", "d"]], max_size=5)
    assert vocabulary.to_list() == ["<pad>", "<oov>", "a", "b", "c"]
    assert vocabulary.encode(["a", "d", "zzz", "c"]) == [2, OOV_ID, OOV_ID, 4]


def test_round_trip_through_the_stored_list():
    vocabulary = WordVocabulary.from_counts(Counter({"x": 3, "y": 2, "z": 1}), max_size=10)
    restored = WordVocabulary.from_list(vocabulary.to_list())
    assert restored.to_list() == vocabulary.to_list() and len(restored) == 5
    ids = restored.encode(["z", "x", "unknown"])
    assert restored.decode(ids + [PAD_ID, PAD_ID]) == ["z", "x", "<oov>"]


def test_bad_vocabularies_are_user_errors():
    with pytest.raises(AttnkitError, match="must start with"):
        WordVocabulary.from_list(["a", "b"])
    with pytest.raises(AttnkitError, match="distinct"):
        WordVocabulary(["a", "a"])
    with pytest.raises(AttnkitError, match="at least 3"):
        WordVocabulary.from_counts(Counter(), max_size=2)


def test_corpus_ids_cut_to_a_vocabulary_equal_direct_encoding():
    texts = {"train": ["b a a", "a c d. b"], "test": ["d e a", "c"]}
    labels = {"train": [0, 1], "test": [1, 0]}
    tokenizer = TextTokenizer()
    corpus = encode_corpus(texts, labels, tokenizer)
    for size in (3, 4, 6, 50):
        vocabulary = corpus.vocabulary(size)
        for name in texts:
            expected = [vocabulary.encode(tokenizer.tokenize(text))[-2:] for text in texts[name]]
            got = [list(ids) for ids in corpus.splits[name].sequences(size, max_length=2)]
            assert got == expected, (size, name)
    assert list(corpus.splits["test"].labels) == [1, 0]
