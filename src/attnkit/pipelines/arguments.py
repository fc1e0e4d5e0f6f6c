"""Command-line options the pipelines share: those of every `train` and the run folder they lead
to, and those of `eval` and `predict` (device, batch size, beam).

Recipes used with the `train` options must have a `train: TrainConfig` section: `--seed`,
`--device`, `--threads` and `--minutes` are shorthands for `--set train.<field>=...`.
Numeric options are checked here, as they are parsed, against the same bounds as the recipe
fields they stand for, so that every pipeline refuses `--beam 0` or `--seed -1` in one line.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from attnkit.decoding import MAX_BEAM_WIDTH
from attnkit.engine.seeding import MAX_SEED
from attnkit.engine.train_config import MAX_THREADS
from attnkit.errors import AttnkitError
from attnkit.files import check_writable
from attnkit.recipe import (
    load_recipe,
    parse_override,
    recipe_from_dict,
    recipe_to_dict,
    set_dotted,
)
from attnkit.run.checkpoint import read_header
from attnkit.run.folder_lock import LOCK_NAME, locked_run_folder
from attnkit.runtime.runtimes import RUNTIMES

T = TypeVar("T")
MAX_BATCH_SIZE = 4096  # inputs searched or classified at once; more only costs memory
# What `--set` may change when a run is resumed: how to go on training and how to search.
# The data and the model are the run's own; changing them would not continue it.
RESUMABLE_SECTIONS = ("train", "decode")


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


def command_line_text(text: str) -> str:
    """An argparse `type` for texts given on the command line: valid UTF-8 (Python hands an
    argument's other bytes over as lone surrogates, which no output can hold)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        raw = os.fsencode(text)
        shown = raw.decode("utf-8", "backslashreplace")[:60]
        raise argparse.ArgumentTypeError(
            f"'{shown}' is not valid UTF-8 (byte {raw[error.start:error.start + 1]!r}); give "
            "texts in UTF-8") from None
    return text


def folder(text: str) -> Path:
    """An argparse `type`: a folder name (an empty one would mean the current folder)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("expected a folder name, got an empty one")
    return Path(text)


def add_run_arguments(parser: argparse.ArgumentParser, default_recipe: str) -> None:
    parser.add_argument("--config", metavar="RECIPE",
                        help=f"recipe name or YAML file (default: {default_recipe})")
    parser.set_defaults(default_config=default_recipe)
    parser.add_argument("--set", dest="overrides", action="append", default=[],
                        metavar="KEY=VALUE", help="override a recipe value, e.g. train.lr=3e-4")
    parser.add_argument("--run-dir", type=folder, help="folder for checkpoints, logs and plots "
                        "(default: runs/<name>-<time>); it must be new or empty")
    parser.add_argument("--resume", type=folder, metavar="RUN_DIR",
                        help="continue the run in RUN_DIR from its last checkpoint (--set may "
                        f"change only {' and '.join(RESUMABLE_SECTIONS)} settings)")
    parser.add_argument("--overwrite", action="store_true",
                        help="allow training into a --run-dir that is not empty")
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
                         batch_size: int | str | None = None,
                         batch_help: str | None = None) -> None:
    """`--device`, `--threads` and `--runtime` for running a trained model, and `--batch-size` when
    `batch_size` is given (a number, or words saying how the command chooses it: then the
    option's default is None)."""
    parser.add_argument("--device", default=default_device,
                        help=f"auto, cpu or cuda (default: {default_device})")
    parser.add_argument("--threads", type=integer_from(1, MAX_THREADS), default=1,
                        dest="inference_threads", metavar="N",
                        help="torch CPU threads (default: 1, which degrades least beside other "
                        "work: bench/shared_cores.py; 2 is 25 %% faster on quiet cores)")
    parser.add_argument("--runtime", choices=RUNTIMES,
                        help="torch, or onnx: ONNX Runtime on the CPU (default: onnx for an "
                        "exported .onnx RUN, else torch; onnx with a torch run exports it to a "
                        "temporary folder first; onnx-int8: a classifier with int8 weights)")
    if batch_size is not None:
        chosen = isinstance(batch_size, str)
        parser.add_argument("--batch-size", type=integer_from(1, MAX_BATCH_SIZE),
                            default=None if chosen else batch_size,
                            help=f"{batch_help or 'inputs per batch'} (default: "
                            f"{batch_size})")


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
        return load_recipe(cls, args.config or args.default_config, overrides)
    if args.config is not None:
        raise AttnkitError(f"--resume continues with the recipe {args.resume} was trained with; "
                           "drop --config (--set may still change train.* settings)")
    saved = read_header(resume_checkpoint(args.resume))["meta"].get("recipe")
    if not isinstance(saved, dict):
        raise AttnkitError(f"{args.resume} does not record the recipe it was trained with")
    recorded = recipe_from_dict(cls, saved)
    for override in overrides:
        set_dotted(saved, *parse_override(override))
    recipe = recipe_from_dict(cls, saved)
    refuse_changes_to_the_run(recorded, recipe, args.resume)
    return recipe


def refuse_changes_to_the_run(recorded: Any, asked: Any, run_dir: Path) -> None:
    """A resumed run keeps its data and model: a change outside RESUMABLE_SECTIONS is an error
    that names the first changed key (a changed model would not even fit the weights)."""

    def changes(old: Any, new: Any, where: str) -> list[str]:
        if isinstance(old, dict) and isinstance(new, dict):
            return [change for key in old for change in changes(old[key], new.get(key),
                                                                f"{where}{key}.")]
        return [] if old == new else [f"{where.rstrip('.')} ({old!r} -> {new!r})"]

    old, new = recipe_to_dict(recorded), recipe_to_dict(asked)
    changed = [change for section in old if section not in RESUMABLE_SECTIONS
               for change in changes(old[section], new[section], f"{section}.")]
    if changed:
        raise AttnkitError(f"--resume cannot change {changed[0]}: {run_dir} was trained with it; "
                           "start a new run (another --run-dir) instead")


def resume_checkpoint(run_dir: Path) -> Path:
    path = Path(run_dir) / "last.safetensors"
    if not path.is_file():
        raise AttnkitError(f"cannot resume: {run_dir} has no last.safetensors")
    return path


@contextlib.contextmanager
def run_folder(args: argparse.Namespace, name_prefix: str, recipe: Any) -> Iterator[Path]:
    """The run folder (`prepare_run_dir`), held for the run: locked, so that a second run into
    it is refused while this one runs (`run.folder_lock`), and checked again once locked; a
    folder made for this run and left empty (the run failed before its first checkpoint) is
    removed at the end."""
    claimed = args.resume is None and args.run_dir is None
    run_dir = prepare_run_dir(args, name_prefix, recipe)
    with locked_run_folder(run_dir, made=claimed):
        if args.resume is None and not claimed:
            check_run_dir(run_dir, args.overwrite)  # another run may have ended in between
        yield run_dir


def prepare_run_dir(args: argparse.Namespace, name_prefix: str, recipe: Any) -> Path:
    """Pick the run folder and check that training may write there.

    The folder must be new or empty (`--overwrite` allows one that is not), and creatable and
    writable; a named one is not made here. A default name (`runs/<prefix>-<time>`, `-2`,
    `-3`... when taken) is claimed by making its folder, so two runs started in the same second
    never pick the same one; `run_folder` removes it again if the run writes nothing.
    `recipe` is the run's recipe (unused here: the run's checkpoints record it). The folder
    chosen is also left in `args.run_dir`, for callers that did not name one (`attnkit.train`).
    """
    if args.resume is not None:
        if args.run_dir is not None and Path(args.run_dir).resolve() != \
                Path(args.resume).resolve():
            raise AttnkitError(f"--resume continues in {args.resume} itself; drop --run-dir "
                               f"{args.run_dir}")
        resume_checkpoint(args.resume)
        args.run_dir = Path(args.resume)
        return args.run_dir
    if args.run_dir is None:
        args.run_dir = claimed_run_dir(Path("runs"), name_prefix)
        return args.run_dir
    args.run_dir = run_dir = Path(args.run_dir)
    check_run_dir(run_dir, args.overwrite)
    return run_dir


def claimed_run_dir(parent: Path, name_prefix: str) -> Path:
    """A new folder `parent/<prefix>-<time>` (or `-2`, `-3`, ...), made here: making it is
    what claims the name."""
    check_writable(parent, folder=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for suffix in range(1, 10_000):
        run_dir = parent / (f"{name_prefix}-{stamp}" + (f"-{suffix}" if suffix > 1 else ""))
        try:
            run_dir.mkdir(parents=True)
        except FileExistsError:
            continue
        except OSError as error:
            raise AttnkitError(f"cannot write {run_dir}: {error.strerror}") from None
        return run_dir
    raise AttnkitError(f"cannot find a free run folder name in {parent}; pass --run-dir")


def check_run_dir(run_dir: Path, overwrite: bool) -> None:
    """An AttnkitError unless training can write into `run_dir` (see `prepare_run_dir`)."""
    if run_dir.exists() and not run_dir.is_dir():
        raise AttnkitError(f"--run-dir {run_dir} is a file, not a folder")
    if run_dir.is_dir():
        held = sorted(entry.name for entry in run_dir.iterdir() if entry.name != LOCK_NAME)
        if held and not overwrite:
            shown = ", ".join(held[:4]) + (", ..." if len(held) > 4 else "")
            what = "already holds checkpoints" if any(run_dir.glob("*.safetensors")) \
                else "is not empty"
            raise AttnkitError(f"{run_dir} {what} ({shown}); use --resume {run_dir} to "
                               "continue a run there, --overwrite to train over it, or another "
                               "--run-dir")
    check_writable(run_dir, folder=True)


def kept_epoch(run_dir: Path) -> str:
    """Which epoch a finished run keeps as `best.safetensors`, and why (the run's summary)."""
    from attnkit.engine.monitor import kept_summary

    return kept_summary(read_header(Path(run_dir) / "best.safetensors"))


def attnkit_command() -> str:
    """How the user can run attnkit from here, for hints: `attnkit` when it is on PATH, else
    this environment's script (`.venv/bin/attnkit` after `make demo`), else `python -m`."""
    import shutil
    import sys

    script = Path(sys.executable).parent / "attnkit"
    found = shutil.which("attnkit")
    if found and Path(found).resolve() == script.resolve():
        return "attnkit"
    if script.is_file():
        relative = os.path.relpath(script)
        return relative if not relative.startswith("..") else str(script)
    return f"{sys.executable} -m attnkit.cli"
