"""The seq2seq pipeline's `attnkit train` tasks as library functions: `dates` (generated dates),
`translate` (Multi30k) and `seq2seq` (your own pairs), on the torch engine or the NumPy one.
`attnkit train` and `attnkit.train` both call `train`."""

from __future__ import annotations

from pathlib import Path

from attnkit.data.pair_vocabulary import PairVocabulary
from attnkit.data.seq_files import PairSplits
from attnkit.errors import AttnkitError
from attnkit.pipelines.arguments import kept_epoch, recipe_from_args, run_folder
from attnkit.pipelines.run_request import RunRequest
from attnkit.pipelines.seq2seq.data import build_splits, build_vocabulary, loaders
from attnkit.pipelines.seq2seq.recipe import (
    PIPELINE,
    Seq2seqRecipe,
    checkpoint_meta,
    resolve_monitor,
)
from attnkit.pipelines.small_data import sized_recipe, warn_if_near_chance

ENGINES = ("torch", "numpy")
MIN_STEPS = 1500  # optimiser steps a small file's training gets at least (pipelines.small_data)


def option_overrides(options: dict) -> list[str]:
    """`model=...` and the file options as the recipe settings they stand for."""
    overrides = []
    if options.get("model"):
        overrides.append(f"model.kind={options['model']}")
    if options.get("data") is not None:
        overrides += ["data.source=file", f"data.file={options['data']}"]
        if options.get("val") is not None:
            overrides.append(f"data.val_file={options['val']}")
        if options.get("format"):
            overrides.append(f"data.file_format={options['format']}")
    return overrides


def train(task: str, request: RunRequest) -> Path:
    """Train `dates`, `translate` or `seq2seq` into a new run folder and return it."""
    engine = request.options.get("engine") or "torch"
    if engine not in ENGINES:
        raise AttnkitError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    request.overrides = [*request.overrides, *option_overrides(request.options)]
    recipe = resolve_monitor(recipe_from_args(Seq2seqRecipe, request))
    splits = build_splits(recipe.data, request.data_dir)
    if recipe.data.source == "file" and request.resume is None and request.config is None:
        recipe = sized_recipe(recipe, len(splits.train_sources), MIN_STEPS, request.overrides)
    vocabulary = build_vocabulary(recipe.data, splits, request.resume)
    with run_folder(request, f"{PIPELINE}-{recipe.model.kind}", recipe) as run_dir:
        train_engine(engine, recipe, splits, vocabulary, run_dir, request.resume is not None)
    print(f"saved run to {run_dir}; kept {kept_epoch(run_dir)}")
    if recipe.train.monitor == "val_exact_match":
        warn_if_near_chance(run_dir, "val_exact_match", 0.0, "no output right")
    return run_dir


def train_engine(engine: str, recipe: Seq2seqRecipe, splits: PairSplits,
                 vocabulary: PairVocabulary, run_dir: Path, resume: bool = False) -> list[dict]:
    """Train with the torch engine or the NumPy one; both write the same run folder."""
    if engine == "torch":
        from attnkit.pipelines.seq2seq.training import train_torch

        return train_torch(recipe, splits, vocabulary, run_dir, resume)
    if resume:
        raise AttnkitError("--resume is only supported by the torch engine")
    from attnkit.engine.distributed import init_distributed
    from attnkit.pipelines.seq2seq.numpy_engine import check_numpy_supports, train_numpy

    check_numpy_supports(recipe.model, recipe.train)
    context = init_distributed()
    train_loader, val_loader = loaders(recipe, splits, vocabulary, context.rank,
                                       context.world_size)
    return train_numpy(recipe, vocabulary, train_loader, val_loader, run_dir,
                       checkpoint_meta(recipe, vocabulary, splits), splits.val_targets)
