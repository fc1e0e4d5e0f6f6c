"""What a pipeline's checkpoint says about itself, and loading it back for that pipeline.

`meta["task"]` names the pipeline that wrote the checkpoint ("seq2seq", "classify", "img2seq");
`attnkit eval` and `attnkit predict` dispatch on it. The key keeps the name the first checkpoints
were written with, so that every checkpoint, old or new, reads the same.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from attnkit.errors import AttnkitError
from attnkit.recipe import recipe_to_dict
from attnkit.run.checkpoint import Checkpoint, load_checkpoint

PIPELINE_KEY = "task"
MAX_LENGTH = 10_000  # the longest input or output (in tokens) a checkpoint may declare
MetaCheck = Callable[[Any], bool]


def is_mapping(value: Any) -> bool:
    return isinstance(value, dict)


def is_strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def is_count(value: Any, largest: int = MAX_LENGTH) -> bool:
    """A whole number from 1 to `largest` (not a bool, not a float)."""
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= largest


def pipeline_meta(pipeline: str, recipe: Any, **fields: Any) -> dict[str, Any]:
    """The meta a pipeline stores: its name, its recipe, then `fields` (vocabulary, limits...)."""
    return {PIPELINE_KEY: pipeline, "recipe": recipe_to_dict(recipe), **fields}


def recorded_pipeline(meta: dict[str, Any]) -> str | None:
    return meta.get(PIPELINE_KEY)


def load_run_checkpoint(path: str | Path, pipeline: str, described_as: str,
                        required: Mapping[str, MetaCheck]) -> Checkpoint:
    """A run folder's best checkpoint (or a checkpoint file) written by `pipeline`, whose meta
    has the `required` keys, each passing its check (`is_count`, `is_strings`, ...); anything
    else is an AttnkitError (`described_as`: "a classifier"), raised before any model is
    built."""
    checkpoint = load_checkpoint(path)
    found = recorded_pipeline(checkpoint.meta)
    if found != pipeline:
        raise AttnkitError(f"{path} holds a {found!r} model, not {described_as}")
    missing = [key for key in required if key not in checkpoint.meta]
    if missing:
        raise AttnkitError(f"{path} lacks {', '.join(missing)} in its {pipeline} description")
    for key, check in required.items():
        if not check(checkpoint.meta[key]):
            shown = repr(checkpoint.meta[key])
            raise AttnkitError(f"{path} has an invalid {key} in its {pipeline} description: "
                               f"{shown[:60]}{'...' if len(shown) > 60 else ''}")
    return checkpoint
