"""The image pipeline's `attnkit train` tasks as library functions: `molecules` (rendered
molecules) and `img2seq` (your own images and a file,target CSV). `attnkit train` and
`attnkit.train` both call `train`."""

from __future__ import annotations

from pathlib import Path

from attnkit.pipelines.arguments import kept_epoch, recipe_from_args, run_folder
from attnkit.pipelines.img2seq.recipe import PIPELINE, Img2SeqRecipe
from attnkit.pipelines.run_request import RunRequest

FILE_OPTIONS = (("images", "image_dir"), ("val_csv", "val_csv"), ("tokenizer", "tokenizer"),
                ("invalid_smiles", "invalid_smiles"))


def option_overrides(options: dict) -> list[str]:
    """The file options as the recipe settings they stand for."""
    if options.get("csv") is None:
        return []
    overrides = ["data.source=files", f"data.csv={options['csv']}"]
    for option, key in FILE_OPTIONS:
        if options.get(option) is not None:
            overrides.append(f"data.{key}={options[option]}")
    return overrides


def train(task: str, request: RunRequest) -> Path:
    """Train `molecules` or `img2seq` into a new run folder and return it. The folder is
    checked before minutes of rendering."""
    from attnkit.pipelines.img2seq.data import build_splits, encode_targets
    from attnkit.pipelines.img2seq.training import train as train_model

    request.overrides = [*request.overrides, *option_overrides(request.options)]
    recipe = recipe_from_args(Img2SeqRecipe, request)
    with run_folder(request, PIPELINE, recipe) as run_dir:
        splits = build_splits(recipe, request.data_dir)
        encoded = encode_targets(splits, recipe)
        train_model(recipe, splits, encoded, run_dir, request.resume is not None)
    skipped = ", ".join(f"{count} {why}" for why, count in splits.skipped.items() if count)
    print(f"saved run to {run_dir}; kept {kept_epoch(run_dir)}"
          f"{'; skipped training rows: ' + skipped if skipped else ''}")
    return run_dir
