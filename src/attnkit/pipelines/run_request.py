"""What `attnkit train TASK` and `attnkit.train(TASK, ...)` ask for, and the one function that
carries it out: the command line and the Python API both build a `RunRequest` and call
`train_task`, which hands it to the pipeline's `tasks.train(task, request)`.

The fields are those every `train` takes (recipe, overrides and their shorthands, run folder,
data folder); `options` holds the task's own (`data`, `text_col`, `csv`, ...), as the registry's
`TrainTask.options` lists them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from attnkit.errors import AttnkitError
from attnkit.pipelines.registry import train_task as find_task

COMMON = ("config", "overrides", "run_dir", "resume", "overwrite", "seed", "device", "threads",
          "minutes", "data_dir")


@dataclass
class RunRequest:
    """One training run as asked for. `default_config` is the task's recipe, used when `config`
    is None; `run_dir` is filled in with the folder chosen (`arguments.prepare_run_dir`)."""

    task: str
    default_config: str
    config: str | None = None
    overrides: list[str] = field(default_factory=list)
    run_dir: Path | None = None
    resume: Path | None = None
    overwrite: bool = False
    seed: int | None = None
    device: str | None = None
    threads: int | None = None
    minutes: float | None = None
    data_dir: str | None = None
    options: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def asked(cls, task: str, values: Mapping[str, Any]) -> RunRequest:
        """The request for `task` from `values` by name (an argparse namespace's `vars`, or
        the Python API's keywords); an option the task does not take is an AttnkitError, and
        so is a required one left out."""
        spec, described = find_task(task)
        known = {*COMMON, *described.options, "default_config"}  # the parser's own default
        unknown = sorted(name for name, value in values.items()
                         if name not in known and value is not None)
        if unknown:
            raise AttnkitError(f"attnkit train {task} has no option {unknown[0]!r}; its own "
                               f"are {', '.join(described.options) or 'none'}")
        missing = [name for name in described.required if values.get(name) is None]
        if missing:
            raise AttnkitError(f"attnkit train {task} needs --{missing[0].replace('_', '-')}")
        common = {name: values[name] for name in COMMON if values.get(name) is not None}
        for name in ("run_dir", "resume"):
            if name in common:
                common[name] = Path(common[name])
        if "config" in common:
            common["config"] = str(common["config"])
        options = {name: values.get(name) for name in described.options}
        request = cls(task, described.recipe, options=options, **common)
        request.overrides = [str(override) for override in request.overrides]
        return request


def train_task(request: RunRequest) -> Path:
    """Train as `request` asks and return the run folder (the pipeline's `tasks.train`)."""
    spec, _ = find_task(request.task)
    return spec.module("tasks").train(request.task, request)
