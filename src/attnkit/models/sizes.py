"""The bounds of a model's sizes, checked by every model config.

A size typed by mistake (`--set model.hidden_size=1000000`) would otherwise ask torch for
terabytes, and fail deep inside it, or take the machine's memory first. Each config calls
`check_sizes` in `__post_init__`, so a recipe, a `--set` and a checkpoint's header are refused
in one line naming the key (`recipe.recipe_from_dict` turns the ValueError into one).
"""

from __future__ import annotations

MAX_WIDTH = 8192  # embedding, hidden, attention, feed-forward and projection sizes
MAX_LAYERS = 64
MAX_VOCABULARY = 10_000_000  # entries of an embedding table (words, word pairs)
MAX_POSITIONS = 100_000  # positions a Transformer's table holds


def check_sizes(config: object, widths: tuple[str, ...] = (), layers: tuple[str, ...] = (),
                vocabularies: tuple[str, ...] = (), positions: tuple[str, ...] = (),
                upper_only: bool = False) -> None:
    """A ValueError naming the first of `config`'s fields outside its bound (each from 1;
    `upper_only`: the model checks the lower bound itself, with its own message)."""
    for names, largest in ((widths, MAX_WIDTH), (layers, MAX_LAYERS),
                           (vocabularies, MAX_VOCABULARY), (positions, MAX_POSITIONS)):
        for name in names:
            value = getattr(config, name)
            if value > largest or not upper_only and value < 1:
                raise ValueError(f"{name} must be from 1 to {largest:,}, got {value:,}")
