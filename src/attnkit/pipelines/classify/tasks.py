"""The classify pipeline's `attnkit train` tasks as library functions: `imdb` and `classify`
(your own labelled file). `attnkit train` and `attnkit.train` both call `train`."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from attnkit.data.sources import resolve_data_dir
from attnkit.pipelines.arguments import kept_epoch, recipe_from_args, run_folder
from attnkit.pipelines.classify.data import PreparedData, prepare_files, prepare_imdb
from attnkit.pipelines.classify.recipe import PIPELINE, ClassifyRecipe
from attnkit.pipelines.classify.training import train_classifier
from attnkit.pipelines.run_request import RunRequest
from attnkit.pipelines.small_data import sized_recipe, warn_if_near_chance

MIN_STEPS = 400  # optimiser steps a small file's training gets at least (pipelines.small_data)


def train(task: str, request: RunRequest) -> Path:
    """Train `imdb` or `classify` into a new run folder and return it. The data is read before
    the run folder exists: bad data leaves nothing behind."""
    recipe = recipe_from_args(ClassifyRecipe, request)
    options = request.options
    if task == "imdb":
        data = prepare_imdb(recipe.data, resolve_data_dir(request.data_dir), recipe.train.seed)
        source = {"kind": "imdb"}
    else:
        text_col, label_col = options.get("text_col") or "text", options.get("label_col") or \
            "label"
        data = prepare_files(recipe.data, Path(options["data"]), optional_path(
            options.get("val_data")), text_col, label_col, recipe.train.seed)
        source = {"kind": "file", "text_column": text_col, "label_column": label_col}
        if request.resume is None and request.config is None:  # the default recipe, sized
            recipe = sized_recipe(recipe, len(data.train), MIN_STEPS, request.overrides)
    return train_prepared(request, recipe, data, source)


def optional_path(value: str | Path | None) -> Path | None:
    return None if value is None else Path(value)


def train_prepared(request: RunRequest, recipe: ClassifyRecipe, data: PreparedData,
                   source: dict) -> Path:
    with run_folder(request, PIPELINE, recipe) as run_dir:
        history = train_classifier(recipe, data, run_dir, source,
                                   resume=request.resume is not None)
    print(f"trained {len(history)} epochs into {run_dir}; kept {kept_epoch(run_dir)}")
    if data.validation is not None and recipe.train.monitor == "val_accuracy":
        counts = np.bincount(data.validation.labels, minlength=len(data.class_names))
        warn_if_near_chance(run_dir, "val_accuracy", counts.max() / counts.sum(),
                            "always the most common class")
    return run_dir
