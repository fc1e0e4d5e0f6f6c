"""The seed's own Keras model on IMDB, timed per review in training: the reference that
`bench/imdb.py`'s training speed is compared with (#28 asks for >= 3x Keras per review).

The model of the wikidocs "BiLSTM with attention" tutorial that the `imdb` recipe reproduces
(configs/imdb.yaml): Embedding(10000, 128) -> BiLSTM(64, dropout 0.5, sequences) -> BiLSTM(64,
sequences and final states) -> Bahdanau attention (64 units, query = the final forward and
backward states) -> Dense(20, ReLU) -> Dropout(0.5) -> Dense(1, sigmoid); Adam 1e-3, binary
cross-entropy, batch 256, reviews cut and padded to 500 tokens in front (Keras'
`pad_sequences`), no masking (as the tutorial). The words are Keras' own tokenisation (lower
case, its filters, split on spaces) of the same train reviews `bench/imdb.py` reads, the 9,999
most frequent kept.

It runs where Keras is installed, not in attnkit's environment (TensorFlow pins its own numpy):

    python3 -m venv /tmp/keras && /tmp/keras/bin/pip install tensorflow-cpu
    /tmp/keras/bin/python bench/keras_imdb.py --data ../shared/data/imdb/aclImdb_v1_labelled.tar.gz

Trains `--epochs` epochs on all 25,000 train reviews (the timing needs no validation) and
prints one JSON object: seconds and milliseconds per review of each epoch (the first includes
building the graph), process CPU seconds, and the machine's load. Run it on quiet cores.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import platform
import re
import tarfile
import time

FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'
NAME = re.compile(r"aclImdb/train/(pos|neg)/\d+_\d+\.txt$")


def train_reviews(archive: str) -> tuple[list[str], list[int]]:
    texts, labels = [], []
    with tarfile.open(archive) as tar:
        for member in tar:
            found = NAME.match(member.name)
            if found:
                texts.append(tar.extractfile(member).read().decode("utf-8"))
                labels.append(int(found.group(1) == "pos"))
    return texts, labels


def words(text: str) -> list[str]:
    table = str.maketrans({character: " " for character in FILTERS})
    return [word for word in text.lower().translate(table).split(" ") if word]


def encoded(texts: list[str], vocabulary: int, length: int):  # noqa: ANN201 - numpy
    import numpy as np

    tokenised = [words(text) for text in texts]
    counts = collections.Counter(word for review in tokenised for word in review)
    index = {word: i + 1 for i, (word, _) in enumerate(counts.most_common(vocabulary - 1))}
    rows = np.zeros((len(texts), length), dtype=np.int32)  # 0 = padding, in front
    for row, review in enumerate(tokenised):
        ids = [index[word] for word in review if word in index][-length:]
        if ids:
            rows[row, -len(ids):] = ids
    return rows


def seed_model(vocabulary: int, length: int):  # noqa: ANN201 - a keras.Model
    import keras
    from keras import layers, ops

    class Bahdanau(layers.Layer):
        def __init__(self, units: int) -> None:
            super().__init__()
            self.keys, self.query, self.score = (layers.Dense(units), layers.Dense(units),
                                                 layers.Dense(1))

        def call(self, values, query):  # noqa: ANN001, ANN201
            scores = self.score(ops.tanh(self.keys(values)
                                         + ops.expand_dims(self.query(query), 1)))
            weights = ops.softmax(scores, axis=1)
            return ops.sum(weights * values, axis=1)

    tokens = keras.Input(shape=(length,), dtype="int32")
    embedded = layers.Embedding(vocabulary, 128)(tokens)
    first = layers.Bidirectional(layers.LSTM(64, dropout=0.5, return_sequences=True))(embedded)
    values, forward_h, _, backward_h, _ = layers.Bidirectional(
        layers.LSTM(64, return_sequences=True, return_state=True))(first)
    context = Bahdanau(64)(values, layers.Concatenate()([forward_h, backward_h]))
    hidden = layers.Dropout(0.5)(layers.Dense(20, activation="relu")(context))
    model = keras.Model(tokens, layers.Dense(1, activation="sigmoid")(hidden))
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="binary_crossentropy",
                  metrics=["accuracy"])
    return model


class EpochTimes:
    """Wall and process CPU seconds of each epoch."""

    def __new__(cls):  # noqa: ANN204 - a keras Callback made when keras is imported
        import keras

        class Timer(keras.callbacks.Callback):
            def __init__(self) -> None:
                super().__init__()
                self.wall, self.cpu = [], []

            def on_epoch_begin(self, epoch, logs=None):  # noqa: ANN001, ANN201
                self.started = (time.perf_counter(), time.process_time())

            def on_epoch_end(self, epoch, logs=None):  # noqa: ANN001, ANN201
                self.wall.append(time.perf_counter() - self.started[0])
                self.cpu.append(time.process_time() - self.started[1])

        return Timer()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="aclImdb_v1_labelled.tar.gz")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--limit", type=int, help="the first N reviews only (a smoke run)")
    args = parser.parse_args()
    import keras
    import numpy as np
    import tensorflow as tf

    keras.utils.set_random_seed(0)
    texts, labels = train_reviews(args.data)
    texts, labels = texts[:args.limit], labels[:args.limit]
    rows, targets = encoded(texts, 10_000, 500), np.asarray(labels, dtype=np.float32)
    model, timer = seed_model(10_000, 500), EpochTimes()
    load_before = os.getloadavg()
    history = model.fit(rows, targets, batch_size=256, epochs=args.epochs, shuffle=True,
                        callbacks=[timer], verbose=0)
    print(json.dumps({
        "model": "the seed's Keras BiLSTM + Bahdanau attention (configs/imdb.yaml)",
        "train_reviews": len(rows), "batch_size": 256, "max_length": 500,
        "seconds_per_epoch": [round(s, 2) for s in timer.wall],
        "ms_per_review_per_epoch": [round(1000 * s / len(rows), 3) for s in timer.wall],
        "cpu_seconds_per_epoch": [round(s, 1) for s in timer.cpu],
        "train_accuracy_per_epoch": [round(a, 4) for a in history.history["accuracy"]],
        "machine": {"platform": platform.platform(), "cpu_count": os.cpu_count(),
                    "tensorflow": tf.__version__, "keras": keras.__version__,
                    "tf_intra_op_threads": tf.config.threading.get_intra_op_parallelism_threads(),
                    "load_average_before": load_before, "load_average_after": os.getloadavg()},
    }, indent=2))


if __name__ == "__main__":
    main()
