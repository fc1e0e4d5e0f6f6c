"""The models the serve tests use, each loaded (or trained) once per session: the shipped
models, and a tiny topic classifier trained in about a second (the reviews view must work
with any classifier run, of any number of classes)."""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import functools
import random
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from attnkit.cli import main
from attnkit.serve.served import ServedModel, load_served

TOPICS = {"sport": "match goal team coach", "food": "recipe taste chef dinner",
          "music": "song band album guitar"}
FILLER = "the a it was and of this".split()
TINY = ["model.embedding_size=16", "model.hidden_size=16", "model.attention_units=8",
        "model.input_dropout=0.0", "model.dense_dropout=0.0", "train.epochs=6",
        "train.batch_size=16", "train.lr=0.03"]


@functools.cache
def shipped(name: str) -> ServedModel:
    [model] = load_served([name])
    return model


@functools.cache
def topic_run() -> Path:
    """A run folder of `attnkit train classify` on 240 generated sentences of three topics."""
    folder = Path(tempfile.mkdtemp(prefix="attnkit-serve-"))
    rng = random.Random(0)
    with (folder / "topics.tsv").open("w", newline="") as handle:
        writer = csv.writer(handle, delimiter="\t")
        writer.writerow(["sentence", "topic"])
        for i in range(240):
            topic = list(TOPICS)[i % 3]
            words = rng.choices(FILLER, k=rng.randint(2, 8)) + [rng.choice(TOPICS[topic].split())]
            rng.shuffle(words)
            writer.writerow([" ".join(words), topic])
    settings = [part for setting in TINY for part in ("--set", setting)]
    assert main(["train", "classify", "--data", str(folder / "topics.tsv"), "--text-col",
                 "sentence", "--label-col", "topic", "--run-dir", str(folder / "topics"),
                 *settings]) == 0
    return folder / "topics"


@functools.cache
def reviews() -> ServedModel:
    [model] = load_served([f"reviews={topic_run()}"])
    return model


class CountingPredictor:
    """A predictor that counts its `predict` calls (inputs per call), can hold each call until
    `gate` is set, and can take `delay` seconds longer; everything else is the real one's."""

    def __init__(self, predictor: Any, gate: threading.Event | None = None,
                 delay: float = 0.0) -> None:
        self.predictor, self.gate, self.delay = predictor, gate, delay
        self.calls: list[int] = []

    def predict(self, inputs: Sequence[Any]) -> list:
        self.calls.append(len(inputs))
        if self.gate is not None:
            assert self.gate.wait(30), "the test never opened the gate"
        time.sleep(self.delay)
        return self.predictor.predict(inputs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.predictor, name)


def counted(model: ServedModel, **options: Any) -> tuple[ServedModel, CountingPredictor]:
    predictor = CountingPredictor(model.predictor, **options)
    return dataclasses.replace(model, predictor=predictor), predictor


def wait_until(condition: Any, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.01)


@contextlib.contextmanager
def under_uvicorn(app: Any) -> Iterator[tuple[str, int]]:
    """`app` served by uvicorn in a thread on a free loopback port: its (host, port)."""
    from attnkit.serve.command import bind, uvicorn_server

    listening = bind("127.0.0.1", 0)
    server = uvicorn_server(app)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listening]}, daemon=True)
    thread.start()
    try:
        wait_until(lambda: server.started or not thread.is_alive())
        assert server.started, "the server did not start"
        yield listening.getsockname()[:2]
    finally:
        server.should_exit = True
        thread.join(10)
        listening.close()
