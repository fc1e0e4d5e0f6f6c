"""Command-line options the pipelines share: those of every `train` and the run folder they lead
to, and those of `eval` and `predict` (device, batch size, beam).

Recipes used with the `train` options must have a `train: TrainConfig` section: `--seed`,
`--device`, `--threads` and `--minutes` are shorthands for `--set train.<field>=...`.
Numeric options are checked here, as they are parsed, against the same bounds as the recipe
fields they stand for, so that every pipeline refuses `--beam 0` or `--seed -1` in one line.
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from attnkit.decoding import MAX_BEAM_WIDTH
from attnkit.engine.checkpoint import read_header
from attnkit.engine.seeding import MAX_SEED
from attnkit.engine.trainer import MAX_THREADS
from attnkit.errors import AttnkitError
from attnkit.recipe import load_recipe, parse_override, recipe_from_dict, set_dotted, write_recipe

T = TypeVar("T")
MAX_BATCH_SIZE = 4096  # inputs searched or classified at once; more only costs memory


def integer_from(low: int, high: int) -> Callable[[str], int]:
    """An argparse `type`: an integer from `low` to `high`."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be from {low} to {high}, got {value}")
        return value

    return parse


def minutes(text: str) -> float:
    """An argparse `type`: a finite number of minutes, >= 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of minutes, got {text!r}") from None
    if not (math.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(f"must be a finite number >= 0 (0 = no limit), "
                                         f"got {text}")
    return value


def add_run_arguments(parser: argparse.ArgumentParser, default_recipe: str) -> None:
    parser.add_argument("--config", default=default_recipe, metavar="RECIPE",
                        help=f"recipe name or YAML file (default: {default_recipe})")
    parser.add_argument("--set", dest="overrides", action="append", default=[],
                        metavar="KEY=VALUE", help="override a recipe value, e.g. train.lr=3e-4")
    parser.add_argument("--run-dir", type=Path, help="folder for checkpoints, logs and plots "
                        "(default: runs/<name>-<time>)")
    parser.add_argument("--resume", type=Path, metavar="RUN_DIR",
                        help="continue the run in RUN_DIR from its last checkpoint")
    parser.add_argument("--overwrite", action="store_true",
                        help="allow training into a --run-dir that already holds checkpoints")
    parser.add_argument("--device", help="auto, cpu or cuda (shorthand for train.device)")
    parser.add_argument("--seed", type=integer_from(0, MAX_SEED),
                        help="random seed (shorthand for train.seed)")
    parser.add_argument("--threads", type=integer_from(1, MAX_THREADS),
                        help="CPU threads (shorthand for train.threads)")
    parser.add_argument("--minutes", type=minutes, help="stop training after this many "
                        "minutes (shorthand for train.time_limit_minutes; --resume starts a "
                        "fresh budget)")
    parser.add_argument("--data-dir",
                        help="data folder (default: $ATTNKIT_DATA or ~/.cache/attnkit)")


def add_device_arguments(parser: argparse.ArgumentParser, default_device: str,
                         batch_size: int | None = None, batch_help: str | None = None) -> None:
    """`--device` for running a trained model, and `--batch-size` when `batch_size` is given."""
    parser.add_argument("--device", default=default_device,
                        help=f"auto, cpu or cuda (default: {default_device})")
    if batch_size is not None:
        parser.add_argument("--batch-size", type=integer_from(1, MAX_BATCH_SIZE),
                            default=batch_size, help=batch_help)


def add_beam_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--beam", type=integer_from(1, MAX_BEAM_WIDTH),
                        help=f"beam width (1 = greedy, at most {MAX_BEAM_WIDTH}; default: the "
                        "recipe)")


def recipe_from_args(cls: type[T], args: argparse.Namespace) -> T:
    """The recipe: from the resumed checkpoint, else --config; then --set, --seed, --device."""
    overrides = list(args.overrides)
    if args.seed is not None:
        overrides.append(f"train.seed={args.seed}")
    if args.device is not None:
        overrides.append(f"train.device={args.device}")
    if args.threads is not None:
        overrides.append(f"train.threads={args.threads}")
    if args.minutes is not None:
        overrides.append(f"train.time_limit_minutes={args.minutes}")
    if args.resume is None:
        return load_recipe(cls, args.config, overrides)
    saved = read_header(resume_checkpoint(args.resume))["meta"].get("recipe")
    if not isinstance(saved, dict):
        raise AttnkitError(f"{args.resume} does not record the recipe it was trained with")
    for override in overrides:
        set_dotted(saved, *parse_override(override))
    return recipe_from_dict(cls, saved)


def resume_checkpoint(run_dir: Path) -> Path:
    path = Path(run_dir) / "last.safetensors"
    if not path.is_file():
        raise AttnkitError(f"cannot resume: {run_dir} has no last.safetensors")
    return path


def prepare_run_dir(args: argparse.Namespace, name_prefix: str, recipe: Any) -> Path:
    """Pick the run folder, refusing to train over existing checkpoints unless asked."""
    if args.resume is not None:
        resume_checkpoint(args.resume)
        return Path(args.resume)
    run_dir = args.run_dir
    if run_dir is None:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        run_dir = Path("runs") / f"{name_prefix}-{stamp}"
        suffix = 1
        while run_dir.exists():
            suffix += 1
            run_dir = Path("runs") / f"{name_prefix}-{stamp}-{suffix}"
    run_dir = Path(run_dir)
    if any(run_dir.glob("*.safetensors")) and not args.overwrite:
        raise AttnkitError(f"{run_dir} already holds checkpoints; use --resume {run_dir} to "
                           "continue, --overwrite to replace them, or another --run-dir")
    run_dir.mkdir(parents=True, exist_ok=True)
    write_recipe(recipe, run_dir / "recipe.yaml")
    return run_dir
