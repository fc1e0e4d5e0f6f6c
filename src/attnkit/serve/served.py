"""The models one server serves: each loaded once, named, and answering batches of inputs.

`attnkit serve` names them from its arguments: a shipped model by its name, a run folder by
the folder's name, a checkpoint file by its stem (a run's best/last by the run's name), or
`NAME=RUN` by NAME. Loading reads safetensors only (never a pickle), and every model is loaded
before the server starts, so a bad argument fails at once with its reason. What a model is
(its pipeline's view and kind of input) the registry says; what it answers is the prediction
record (`pipelines.prediction`), the same the CLI and the Python API give.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from attnkit.errors import AttnkitError
from attnkit.pipelines.prediction import Predictor
from attnkit.pipelines.registry import PipelineSpec

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


@dataclass
class ServedModel:
    """A loaded predictor of the pipeline `spec` under a URL-safe `name`; `description` says
    what it does and `measured` what its manifest entry or checkpoint reports."""

    name: str
    spec: PipelineSpec
    predictor: Predictor
    description: str
    measured: dict[str, Any] = field(default_factory=dict)
    fallback: str | None = None  # "osra": OSRA reads the drawings a molecules model flags

    @property
    def inputs(self) -> str:
        """"text" (a JSON list of strings) or "image" (multipart files)."""
        return self.spec.inputs

    def answer(self, inputs: Sequence[Any]) -> list[dict[str, Any]]:
        """One record per input, in order, with its attention (runs in a worker thread). Texts
        are strings; images `inputs.NamedImage`s, each record naming its upload."""
        if self.inputs == "image":
            results = self.predictor.predict([item.image for item in inputs],
                                             names=[item.name for item in inputs],
                                             fallback=self.fallback)
        else:
            results = self.predictor.predict(list(inputs))
        return [result.to_record(include_attention=True) for result in results]

    @property
    def has_heads(self) -> bool:
        """Whether `head_view` can show every layer's and head's attention (Transformers)."""
        return bool(self.predictor.describe().get("heads"))

    def head_view(self, text: str) -> dict[str, Any]:
        """The `HeadView` record of one text (runs in a worker thread, unbatched)."""
        return self.predictor.head_view(text).to_record()

    def summary(self) -> dict[str, Any]:
        return {"name": self.name, "pipeline": self.spec.name, "view": self.spec.view,
                "inputs": self.inputs, "description": self.description,
                "measured": self.measured, **self.predictor.describe()}


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


def load_served(arguments: Sequence[str], runtime: str | None = None,
                exports: contextlib.ExitStack | None = None,
                fallback: str | None = None) -> list[ServedModel]:
    """The models named by `attnkit serve`'s arguments; none: the shipped models. `runtime`
    (pipelines.exporting.runtime_checkpoint) exports each torch model for ONNX Runtime into a
    temporary folder that lasts as long as `exports`; `fallback` ("osra") goes to every model
    that can use it (molecule readers with a calibrated confidence: `img2seq.osra`)."""
    from attnkit.run.shipped import shipped_models

    if not arguments:  # each shipped file once (`molecules_mix` is `molecules`' file now)
        served_files: set[str] = set()
        arguments = []
        for name, entry in shipped_models().items():
            if entry["file"] not in served_files:
                served_files.add(entry["file"])
                arguments.append(name)
        if not arguments:
            raise AttnkitError("no shipped models in this installation: name a run folder or "
                               "checkpoint to serve")
    named = [split_argument(argument) for argument in arguments]
    names = [name for name, _ in named]
    for name in names:
        if names.count(name) > 1:
            raise AttnkitError(f"two models would be named {name!r}; name them apart with "
                               "NAME=RUN")
    models = [load_model(name, run, runtime, exports) for name, run in named]
    if fallback is not None:
        with_fallback(models, fallback)
    return models


def with_fallback(models: list[ServedModel], fallback: str) -> None:
    """`fallback` set on every model whose predictor takes it; none that does is an error."""
    reasons = []
    for model in models:
        check = getattr(model.predictor, "check_fallback", None)
        try:
            if check is None:
                raise AttnkitError(f"{model.spec.name} models read no drawings")
            check(fallback)
            model.fallback = fallback
        except AttnkitError as error:
            reasons.append(f"{model.name}: {error}")
    if not any(model.fallback for model in models):
        raise AttnkitError(f"--fallback {fallback}: no served model can use it ("
                           + "; ".join(reasons) + ")")


def load_model(name: str, run: str, runtime: str | None = None,
               exports: contextlib.ExitStack | None = None) -> ServedModel:
    from attnkit.pipelines.exporting import runtime_checkpoint
    from attnkit.pipelines.registry import pipeline_of
    from attnkit.run.checkpoint import read_header, resolve_checkpoint
    from attnkit.run.shipped import shipped_checkpoint, shipped_models

    path = resolve_checkpoint(run)
    loaded = (exports or contextlib.ExitStack()).enter_context(runtime_checkpoint(path, runtime))
    spec = pipeline_of(loaded)
    predictor = spec.predictor_class.from_checkpoint(loaded)
    shipped = shipped_models().get(run) if not Path(run).exists() else None
    if shipped is not None and shipped_checkpoint(run) == path:
        described = shipped.get("description", shipped.get("task", ""))
        return ServedModel(name, spec, predictor, described, dict(shipped.get("measured", {})))
    metrics = read_header(path).get("metrics") or {}
    measured = {key: round(value, 4) for key, value in metrics.items()  # held-out scores only
                if key.startswith(("val_", "test_")) and not key.endswith("loss")
                and isinstance(value, (int, float)) and not isinstance(value, bool)}
    return ServedModel(name, spec, predictor, f"{spec.name} model trained by attnkit",
                       measured)
