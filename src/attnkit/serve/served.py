"""The models one server serves: each loaded once, named, and answering batches of inputs.

`attnkit serve` names them from its arguments: a shipped model by its name, a run folder by
the folder's name, a checkpoint file by its stem (a run's best/last by the run's name), or
`NAME=RUN` by NAME. Loading reads
safetensors only (never a pickle), and every model is loaded before the server starts, so a
bad argument fails at once with its reason.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from attnkit.errors import AttnkitError
from attnkit.serve import answers

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
# the page's view and the kind of input of each pipeline
VIEWS = {"seq2seq": "dates", "classify": "reviews", "img2seq": "molecules"}
INPUTS = {"seq2seq": "text", "classify": "text", "img2seq": "image"}


@dataclass
class ServedModel:
    """A loaded predictor under a URL-safe `name`; `measured` is what its manifest entry or
    checkpoint reports (accuracy and the like)."""

    name: str
    pipeline: str
    predictor: Any
    task: str
    measured: dict[str, Any] = field(default_factory=dict)

    @property
    def inputs(self) -> str:
        """"text" (a JSON list of strings) or "image" (multipart files)."""
        return INPUTS[self.pipeline]

    def answer(self, inputs: Sequence[Any]) -> list[dict[str, Any]]:
        """One JSON answer per input, in order (runs in a worker thread)."""
        answer = {"seq2seq": answers.translation_answers,
                  "classify": answers.classification_answers,
                  "img2seq": answers.reading_answers}[self.pipeline]
        return answer(self.predictor, inputs)

    def summary(self) -> dict[str, Any]:
        summary = {"name": self.name, "pipeline": self.pipeline, "view": VIEWS[self.pipeline],
                   "inputs": self.inputs, "task": self.task, "measured": self.measured}
        if self.pipeline == "classify":
            summary["classes"] = list(self.predictor.class_names)
        if self.pipeline == "img2seq":
            summary["molecules"] = bool(self.predictor.molecules)
        return summary


def split_argument(argument: str) -> tuple[str, str]:
    """(name, run) of one argument of `attnkit serve`."""
    if "=" in argument and not Path(argument).exists():
        name, _, run = argument.partition("=")
        if not NAME.fullmatch(name):
            raise AttnkitError(f"{argument}: a model name is letters, digits, '.', '_' and "
                               "'-', starting with a letter or digit (at most 64)")
        return name, run
    path = Path(argument)
    name = path.name if path.is_dir() or not path.exists() else path.stem
    if path.is_file() and name in ("best", "last"):  # runs/imdb/best.safetensors: "imdb"
        name = path.resolve().parent.name
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-._")[:64] or "model"
    return name, argument


def load_served(arguments: Sequence[str]) -> list[ServedModel]:
    """The models named by `attnkit serve`'s arguments; none: the shipped models."""
    from attnkit.run.shipped import shipped_models

    if not arguments:
        arguments = list(shipped_models())
        if not arguments:
            raise AttnkitError("no shipped models in this installation: name a run folder or "
                               "checkpoint to serve")
    named = [split_argument(argument) for argument in arguments]
    names = [name for name, _ in named]
    for name in names:
        if names.count(name) > 1:
            raise AttnkitError(f"two models would be named {name!r}; name them apart with "
                               "NAME=RUN")
    return [load_model(name, run) for name, run in named]


def load_model(name: str, run: str) -> ServedModel:
    from attnkit.pipelines.classify.predictor import TextClassifier
    from attnkit.pipelines.img2seq.predictor import ImageReader
    from attnkit.pipelines.seq2seq.predictor import Translator
    from attnkit.run.checkpoint import read_header, resolve_checkpoint
    from attnkit.run.meta import recorded_pipeline
    from attnkit.run.shipped import shipped_checkpoint, shipped_models

    path = resolve_checkpoint(run)
    header = read_header(path)
    pipeline = recorded_pipeline(header["meta"])
    classes = {"classify": TextClassifier, "seq2seq": Translator, "img2seq": ImageReader}
    if pipeline not in classes:
        raise AttnkitError(f"{run}: trained by task {pipeline!r}, which attnkit serve lacks")
    predictor = classes[pipeline].from_checkpoint(path)
    shipped = shipped_models().get(run) if not Path(run).exists() else None
    if shipped is not None and shipped_checkpoint(run) == path:
        return ServedModel(name, pipeline, predictor, shipped.get("task", ""),
                           dict(shipped.get("measured", {})))
    metrics = header.get("metrics") or {}
    measured = {key: round(value, 4) for key, value in metrics.items()  # held-out scores only
                if key.startswith(("val_", "test_")) and not key.endswith("loss")
                and isinstance(value, (int, float)) and not isinstance(value, bool)}
    return ServedModel(name, pipeline, predictor, f"{pipeline} model trained by attnkit",
                       measured)
