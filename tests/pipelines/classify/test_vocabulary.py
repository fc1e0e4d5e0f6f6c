import csv

import numpy as np

from attnkit.pipelines.classify.data import prepare_files
from attnkit.pipelines.classify.recipe import ClassifyDataConfig


def test_words_are_ranked_on_the_training_share_only(tmp_path):
    """The validation share is carved out before words are ranked: a word that only its texts
    contain is out of the vocabulary, and the counts come from the texts left for training."""
    rows = [(f"common text number {i} " + ("zebra " * 5 if i % 2 else "plain"), i % 2)
            for i in range(40)]
    path = tmp_path / "train.csv"
    with path.open("w", newline="") as handle:
        csv.writer(handle).writerows([("text", "label"), *rows])
    config = ClassifyDataConfig(vocab_size=100, validation_fraction=0.25)
    data = prepare_files(config, path, None, "text", "label", seed=3)
    held_out = np.random.default_rng(3).permutation(40)[:10]
    texts = [rows[i][0] for i in sorted(held_out)]
    assert len(data.validation) == 10
    numbers = {word for text in texts for word in text.split() if word.isdigit()}
    vocabulary = set(data.vocabulary.tokens)
    assert numbers and not numbers & vocabulary  # only in validation texts: <oov>
    assert {"common", "text", "number", "zebra"} <= vocabulary
