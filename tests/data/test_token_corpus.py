import numpy as np

from attnkit.data.text_tokenizer import TextTokenizer
from attnkit.data.token_corpus import encode_corpus
from attnkit.data.word_vocab import OOV_ID

TEXTS = {"train": ["good good good film", "bad bad film", "rare words here", "good plot"],
         "test": ["good unseen film"]}
LABELS = {"train": [1, 0, 0, 1], "test": [1]}


def decoded(corpus, split):
    words = ["<pad>", "<oov>", *corpus.words]
    return [words[i] for i in corpus.splits[split].ids]


def test_ranked_on_counts_only_the_kept_training_texts():
    corpus = encode_corpus(TEXTS, LABELS, TextTokenizer())
    assert corpus.words[:3] == ["good", "film", "bad"]
    kept = corpus.splits["train"].subset(np.array([1, 2]))  # "bad bad film", "rare words here"
    held_out = corpus.splits["train"].subset(np.array([0, 3]))
    ranked = corpus.ranked_on(kept, {"train": kept, "validation": held_out,
                                     "test": corpus.splits["test"]})
    assert ranked.words == ["bad", "film", "rare", "words", "here"]  # "good" is held out only
    assert decoded(ranked, "train") == ["bad", "bad", "film", "rare", "words", "here"]
    assert decoded(ranked, "validation") == ["<oov>", "<oov>", "<oov>", "film", "<oov>", "<oov>"]
    assert decoded(ranked, "test") == ["<oov>", "<oov>", "film"]
    assert (ranked.splits["validation"].ids[:3] == OOV_ID).all()
    assert np.array_equal(ranked.splits["validation"].offsets, held_out.offsets)
    assert np.array_equal(ranked.splits["validation"].labels, [1, 1])
