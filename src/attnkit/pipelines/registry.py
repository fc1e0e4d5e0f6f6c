"""The pipelines attnkit has, each registered once: what it reads and writes, the `attnkit train`
tasks it offers, its recipe, predictor and export, and the view `attnkit serve` draws it with.

The CLI, the Python API, export and serve all ask this registry; none of them names a pipeline
or reaches into one. Specs name their parts as "module:attribute" under the pipeline's package
and import them only when asked for, so reading the registry imports nothing but this module:
`attnkit --help` stays cheap and `attnkit predict imdb` loads the classifier only.

A new pipeline is one package (`recipe`, `data`, `training`, `predictor`, `commands`, and
`export` when it exports to ONNX) and one `register(PipelineSpec(...))` below.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Literal

from attnkit.errors import AttnkitError


@dataclass(frozen=True)
class TrainTask:
    """`attnkit train NAME`: its one-line `help`, the `recipe` it starts from (a name in
    configs/), and the task's own `options` besides the ones every train takes (`required`
    among them)."""

    name: str
    help: str
    recipe: str
    options: tuple[str, ...] = ()
    required: tuple[str, ...] = ()


@dataclass(frozen=True)
class Verb:
    """A top-level command a pipeline adds (`attnkit translate`): `provider` is the module (under
    the pipeline's package) with `add_arguments(parser)`; the parser's `func` runs it."""

    name: str
    help: str
    provider: str


@dataclass(frozen=True)
class PipelineSpec:
    """One pipeline. `name` is what its checkpoints record (`meta["task"]`, the key's first
    name); `inputs` what a prediction reads ("text" or "image"); `view` the page of
    `attnkit serve` that shows it; `recipe` and `predictor` the "module:attribute" of its recipe
    class and predictor class; `inference_checkpoint` ("module:function" or None) leaves
    training-only parts out of an export; `int8`: `attnkit export --int8` is allowed."""

    name: str
    summary: str
    inputs: Literal["text", "image"]
    view: str
    recipe: str
    predictor: str
    tasks: tuple[TrainTask, ...]
    verbs: tuple[Verb, ...] = ()
    inference_checkpoint: str | None = None
    int8: bool = False

    @property
    def package(self) -> str:
        return f"attnkit.pipelines.{self.name}"

    def module(self, role: str) -> ModuleType:
        """The pipeline's module `role` ("commands", "training", "export", ...)."""
        return importlib.import_module(f"{self.package}.{role}")

    def load(self, reference: str) -> Any:
        """The object a "module:attribute" reference names."""
        role, _, attribute = reference.partition(":")
        return getattr(self.module(role), attribute)

    @property
    def recipe_class(self) -> type:
        return self.load(self.recipe)

    @property
    def predictor_class(self) -> type:
        return self.load(self.predictor)


PIPELINES: dict[str, PipelineSpec] = {}


def register(spec: PipelineSpec) -> PipelineSpec:
    """Add a pipeline; its name and its train tasks' names must be new."""
    taken = {task.name for other in PIPELINES.values() for task in other.tasks}
    clashes = taken & {task.name for task in spec.tasks}
    if spec.name in PIPELINES or clashes:
        raise ValueError(f"pipeline {spec.name!r} or its tasks {sorted(clashes)} are taken")
    PIPELINES[spec.name] = spec
    return spec


def pipeline_named(name: Any, where: str | Path = "a checkpoint") -> PipelineSpec:
    """The pipeline a checkpoint records, or an AttnkitError naming `where`."""
    if not isinstance(name, str) or name not in PIPELINES:
        raise AttnkitError(f"{where} was trained by task {name!r}, which this attnkit lacks")
    return PIPELINES[name]


def train_task(name: str) -> tuple[PipelineSpec, TrainTask]:
    """The pipeline and task of `attnkit train NAME`."""
    for spec in PIPELINES.values():
        for task in spec.tasks:
            if task.name == name:
                return spec, task
    raise AttnkitError(f"unknown task {name!r}; choose from {', '.join(task_names())}")


def task_names() -> list[str]:
    return [task.name for spec in PIPELINES.values() for task in spec.tasks]


def pipeline_verbs() -> dict[str, tuple[PipelineSpec, Verb]]:
    """The top-level commands pipelines add, by name."""
    return {verb.name: (spec, verb) for spec in PIPELINES.values() for verb in spec.verbs}


register(PipelineSpec(
    name="img2seq", summary="images -> text (molecule drawings -> SMILES)", inputs="image",
    view="molecules", recipe="recipe:Img2SeqRecipe", predictor="predictor:ImageReader",
    inference_checkpoint="predictor:inference_checkpoint",
    tasks=(TrainTask("molecules", "molecule images -> SMILES on rendered MOSES molecules "
                     "(needs RDKit: pip install attnkit[chem])", "molecules"),
           TrainTask("img2seq", "an image-to-text model on your own images and a file,target "
                     "CSV", "molecules", ("csv", "images", "val_csv", "tokenizer",
                                          "invalid_smiles"), ("csv",)))))
register(PipelineSpec(
    name="seq2seq", summary="text -> text (dates, translation, your own pairs)", inputs="text",
    view="dates", recipe="recipe:Seq2seqRecipe", predictor="predictor:Translator",
    tasks=(TrainTask("dates", "date normalisation on generated dates (book ch. 7-8)", "dates",
                     ("model", "engine")),
           TrainTask("translate", "English -> German translation on Multi30k: a Transformer "
                     "on subwords (needs attnkit[translate])", "multi30k", ("model",)),
           TrainTask("seq2seq", "a seq2seq model on your own pairs (characters, or "
                     "--set data.tokenizer=subwords)", "seq2seq",
                     ("data", "val", "format", "model", "engine"), ("data",))),
    verbs=(Verb("translate", "translate text with a seq2seq run and show its attention",
                "commands"),
           Verb("compare", "train plain, peeky and attention seq2seq on dates and plot "
                "held-out exact match per epoch", "compare"),
           Verb("demo", "train the attention date model (about 3 minutes on 2 cores) and show "
                "what it attends to", "demo"))))
register(PipelineSpec(
    name="classify", summary="text -> label (IMDB, your own CSV)", inputs="text",
    view="reviews", recipe="recipe:ClassifyRecipe", predictor="predictor:TextClassifier",
    int8=True,
    tasks=(TrainTask("imdb", "sentiment classifier on IMDB reviews", "imdb"),
           TrainTask("classify", "text classifier on your CSV/TSV/JSONL file", "imdb",
                     ("data", "val_data", "text_col", "label_col"), ("data",)))))


def pipeline_of(path: str | Path) -> PipelineSpec:
    """The pipeline that wrote the checkpoint or export at `path` (its header only is read)."""
    from attnkit.run.checkpoint import read_header
    from attnkit.run.meta import recorded_pipeline

    return pipeline_named(recorded_pipeline(read_header(Path(path))["meta"]), path)
