"""attnkit from Python: `load` a trained model, `train` a new one.

    import attnkit

    reader = attnkit.load("dates")                      # a shipped model, run folder or file
    [result] = reader.predict(["3/12/11"])              # result.output, .score, .attention
    run_dir = attnkit.train("dates", overrides=["train.epochs=1"], run_dir="runs/dates")

`train` makes the same request as `attnkit train TASK` and calls the same library function,
so a run trained from Python holds the same files as one trained from the shell (checkpoints,
`recipe.yaml`, `metrics.jsonl`, `curves.png`). Both raise `AttnkitError` where the command
prints `error: ...`. This module imports nothing heavy until it is called: `import attnkit`
stays cheap.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from attnkit.errors import AttnkitError

if TYPE_CHECKING:
    from attnkit.pipelines.prediction import Predictor

OptionValue = str | Path | int | float | bool | None


def load(run_or_name: str | Path, device: str | None = None) -> Predictor:
    """The predictor of a run folder (its best checkpoint), a checkpoint file (an exported one
    too) or a shipped model's name (`attnkit models`): a `TextClassifier`, a `Translator` or an
    `ImageReader`, each with one `predict(inputs)` that returns a typed result per input.

    `device` ("auto", "cpu", "cuda", "cuda:1"): by default the one `attnkit predict` uses for
    that pipeline (the CPU for seq2seq and image models, whose searches are step by step).
    """
    from attnkit.pipelines.registry import pipeline_of
    from attnkit.run.checkpoint import resolve_checkpoint

    if not isinstance(run_or_name, (str, Path)) or not str(run_or_name).strip():
        raise AttnkitError("load takes a run folder, a checkpoint file or a shipped model's "
                           f"name, got {run_or_name!r:.60}")
    if device is not None and not isinstance(device, str):
        raise AttnkitError(f"device must be a name such as 'cpu' or 'cuda', got {device!r:.60}")
    path = resolve_checkpoint(run_or_name)
    predictor = pipeline_of(path).predictor_class
    if device is None:
        return predictor.from_checkpoint(path)
    return predictor.from_checkpoint(path, device)


def train(task: str, config: str | Path | None = None,
          overrides: Sequence[str] | Mapping[str, Any] = (), run_dir: str | Path | None = None,
          **options: OptionValue) -> Path:
    """Train `task` as `attnkit train TASK` does and return the run folder.

    task: dates, translate, seq2seq, imdb, classify, molecules or img2seq.
    config: a recipe name or YAML file (`--config`; default: the task's seed recipe).
    overrides: `"key=value"` strings or a {key: value} mapping (`--set`), e.g.
        `["train.epochs=1"]` or `{"train.epochs": 1}`.
    run_dir: a new or empty folder (`--run-dir`); by default `runs/<name>-<time>`.
    options: the task's other command-line options, `--data-dir` as `data_dir=...`; True
        gives a flag (`overwrite=True`), None or False leaves the option out. The tasks on
        your own data need theirs: `train("seq2seq", data="pairs.tsv")`,
        `train("classify", data="reviews.csv", text_col="review")`,
        `train("img2seq", csv="labels.csv")` (see `attnkit train TASK --help`).

    A bad task, option, recipe key or data file raises AttnkitError, before anything is
    written. Training prints progress as the command does. It is the library function the
    command calls (`pipelines.run_request.train_task`), not the command itself.
    """
    from attnkit.pipelines.run_request import RunRequest, train_task

    if not isinstance(task, str):
        raise AttnkitError(f"task must be a task name such as 'dates', got {task!r}")
    given = {name: value for name, value in options.items() if value is not False}
    request = RunRequest.asked(task, {**given, "config": config, "run_dir": run_dir,
                                      "overrides": override_texts(overrides)})
    return train_task(request)


def override_texts(overrides: Sequence[str] | Mapping[str, Any]) -> list[str]:
    """`--set` values: "key=value" strings as given; a mapping's values written as YAML, which
    is how `--set` reads them back (True -> true, None -> null, [1, 2] -> [1, 2])."""
    if isinstance(overrides, str):
        return [overrides]
    if not isinstance(overrides, Mapping):
        return [str(override) for override in overrides]
    import yaml

    texts = []
    for key, value in overrides.items():
        try:
            text = yaml.safe_dump(str(value) if isinstance(value, Path) else value,
                                  default_flow_style=True, width=float("inf"))
        except yaml.YAMLError:
            raise AttnkitError(f"override {key}: {value!r} is not a value a recipe can "
                               "hold") from None
        texts.append(f"{key}={text.strip().removesuffix('...').strip()}")
    return texts
