"""Training settings sized from the data, for your own small files (`train classify`, `train
seq2seq` with the default recipe): a recipe made for 25,000 reviews or 90,000 dates takes a
handful of optimiser steps on 300 rows and learns nothing. A recipe of the user's own
(`--config`) is kept whole, and so is what `--set` gives (`--set train.batch_size=...`); the
rest is sized here, and the run's `recipe.yaml` records what was used.

The rule: batches of about a sixteenth of the training rows (a power of two, from 8 up to the
recipe's size), enough epochs for `min_steps` optimiser steps (at most `MAX_EPOCHS`), and early
stopping after a quarter of them without improvement (at least 5 epochs).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from attnkit.engine.train_config import TrainConfig
from attnkit.run.checkpoint import read_header

MAX_EPOCHS = 60


def sized_for(train: TrainConfig, rows: int, min_steps: int,
              overrides: Sequence[str]) -> tuple[TrainConfig, str]:
    """`train` with batch size, epochs and patience sized for `rows` training rows (those not
    in `overrides`), and a line saying what changed ("" when nothing did)."""
    given = {override.split("=", 1)[0].strip() for override in overrides}
    changes = {}
    batch = train.batch_size
    if "train.batch_size" not in given and not getattr(train, "max_tokens", 0):
        batch = min(train.batch_size, max(8, 2 ** int(math.log2(max(1, rows // 16)))))
        changes["batch_size"] = batch
    steps = math.ceil(rows / batch)
    if "train.epochs" not in given:
        changes["epochs"] = min(MAX_EPOCHS, max(train.epochs, math.ceil(min_steps / steps)))
    epochs = changes.get("epochs", train.epochs)
    if "train.early_stopping_patience" not in given and not train.early_stopping_patience \
            and epochs > train.epochs:
        changes["early_stopping_patience"] = max(5, epochs // 4)
    changes = {key: value for key, value in changes.items() if getattr(train, key) != value}
    if not changes:
        return train, ""
    said = ", ".join(f"train.{key}={value}" for key, value in changes.items())
    return dataclasses.replace(train, **changes), (
        f"{rows:,} training rows: {said} (sized for at least {min_steps} steps; "
        "--set these to keep your own)")


def sized_recipe(recipe: Any, rows: int, min_steps: int, overrides: Sequence[str]) -> Any:
    """`recipe` with its `train` section sized for `rows` training rows (`sized_for`); prints
    what changed."""
    train, said = sized_for(recipe.train, rows, min_steps, overrides)
    if said:
        print(said)
    return dataclasses.replace(recipe, train=train)


def warn_if_near_chance(run_dir: Path, metric: str, chance: float, chance_is: str) -> None:
    """Print `near_chance`'s warning for the kept epoch's `metric` (e.g. "val_accuracy") of a
    finished run."""
    kept = read_header(Path(run_dir) / "best.safetensors")["metrics"][metric]
    warning = near_chance(kept, chance, metric.replace("val_", "validation ").replace("_", " "),
                          chance_is)
    if warning:
        print(warning)


def near_chance(value: float, chance: float, metric: str, chance_is: str) -> str:
    """A warning when the kept validation `metric` is within 5 points of `chance` (what
    `chance_is` says), else ""."""
    if value > chance + 0.05:
        return ""
    return (f"warning: {metric} {value:.3f} is near chance ({chance:.3f}: {chance_is}): the "
            "model has not learnt much; more data or epochs (--set train.epochs=N), or a "
            "smaller model, may help")
