"""Recipes: frozen dataclasses loaded from YAML, with dotted `--set a.b=value` overrides.

A recipe is a tree of frozen dataclasses (one per component). Every key in a YAML file or an
override must name a field; a wrong key or a value of the wrong type is an `AttnkitError` that
names the key and what would be valid.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

import yaml

from attnkit.errors import AttnkitError
from attnkit.files import read_text, write_text_atomically

T = TypeVar("T")
RECIPE_DIR = Path(__file__).parent / "configs"
# Examples a recipe may generate, draw or hold out: more would take the machine's memory long
# before training started (`--set data.train_size=1000000000000` must be one error line).
MAX_EXAMPLES = 10_000_000


def check_counts(config: object, names: Sequence[str], low: int = 1,
                 high: int = MAX_EXAMPLES) -> None:
    """A ValueError naming the first of `config`'s fields `names` outside [low, high]; recipes
    call it in `__post_init__`."""
    for name in names:
        value = getattr(config, name)
        if not low <= value <= high:
            raise ValueError(f"{name} must be from {low:,} to {high:,}, got {value:,}")


def load_recipe(cls: type[T], source: str | Path | None = None, overrides: Sequence[str] = ()) -> T:
    """Build a `cls` recipe from defaults, then a YAML file or recipe name, then overrides."""
    values: dict[str, Any] = {}
    if source is not None:
        values = read_yaml(recipe_path(source))
    for override in overrides:
        key, value = parse_override(override)
        set_dotted(values, key, value)
    return recipe_from_dict(cls, values)


def recipe_path(source: str | Path) -> Path:
    """A YAML path as given, or the built-in recipe of that name in `attnkit/configs/`."""
    path = Path(source)
    if path.suffix in (".yaml", ".yml"):
        if not path.is_file():
            raise AttnkitError(f"recipe file not found: {path}")
        return path
    builtin = RECIPE_DIR / f"{source}.yaml"
    if not builtin.is_file():
        names = sorted(p.stem for p in RECIPE_DIR.glob("*.yaml"))
        raise AttnkitError(f"no recipe named {source!r}; built-in recipes: {', '.join(names)}")
    return builtin


def read_yaml(path: Path) -> dict[str, Any]:
    text = read_text(path)
    try:
        values = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise AttnkitError(f"cannot read recipe {path}: {yaml_problem(error)}") from None
    if values is None:
        return {}
    if not isinstance(values, dict):
        kind = type(values).__name__
        raise AttnkitError(f"recipe {path} must be a mapping of sections, got {kind}")
    return values


def yaml_problem(error: yaml.YAMLError) -> str:
    """PyYAML's several-line report as one line: the problem and where it is."""
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or str(error).splitlines()[0]
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
    return f"{problem}{where}"


def parse_override(text: str) -> tuple[str, Any]:
    """`train.lr=3e-4` -> ("train.lr", 0.0003); the value is read as YAML."""
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise AttnkitError(f"override {text!r} must look like section.key=value")
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError:
        value = raw
    return key.strip(), value


def set_dotted(values: dict[str, Any], key: str, value: Any) -> None:
    node = values
    *parents, leaf = key.split(".")
    for part in parents:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise AttnkitError(f"override {key!r}: {part!r} is a value, not a section")
        node = child
    node[leaf] = value


def recipe_from_dict(cls: type[T], values: dict[str, Any], where: str = "") -> T:
    """Build the dataclass `cls` from a nested dict, checking every key and type."""
    if not isinstance(values, dict):
        raise AttnkitError(f"{where.rstrip('.') or 'recipe'} must be a mapping, got {values!r}")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    hints = typing.get_type_hints(cls)
    unknown = sorted(set(values) - set(fields))
    if unknown:
        key = f"{where}{unknown[0]}"
        raise AttnkitError(f"unknown recipe key {key!r}; valid keys here: {', '.join(fields)}")
    kwargs = {name: convert(hints[name], value, f"{where}{name}") for name, value in values.items()}
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as error:
        raise AttnkitError(f"invalid recipe {where.rstrip('.') or cls.__name__}: {error}") from None


def convert(hint: Any, value: Any, key: str) -> Any:
    """Check `value` against the type hint `hint`, converting lists to tuples and ints to floats."""
    if dataclasses.is_dataclass(hint):
        return recipe_from_dict(hint, value, f"{key}.")
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(hint)
        if value is None and type(None) in options:
            return None
        for option in (o for o in options if o is not type(None)):
            try:
                return convert(option, value, key)
            except AttnkitError:
                continue
        raise AttnkitError(f"recipe key {key!r}: {value!r} is not {hint_name(hint)}")
    if origin is typing.Literal:
        if value not in typing.get_args(hint):
            choices = ", ".join(repr(a) for a in typing.get_args(hint))
            raise AttnkitError(f"recipe key {key!r}: {value!r} is not one of {choices}")
        return value
    if origin is tuple:
        if not isinstance(value, (list, tuple)):
            raise AttnkitError(f"recipe key {key!r}: expected a list, got {value!r}")
        item = typing.get_args(hint)[0]
        return tuple(convert(item, v, key) for v in value)
    return convert_scalar(hint, value, key)


def convert_scalar(hint: Any, value: Any, key: str) -> Any:
    if hint is float:
        return convert_float(value, key)
    if hint is Any or (isinstance(value, hint) and not (hint is int and isinstance(value, bool))):
        return value
    raise AttnkitError(f"recipe key {key!r}: expected {hint_name(hint)}, got {value!r}")


def convert_float(value: Any, key: str) -> float:
    """An int, a float or a numeric string (YAML 1.1 reads `3e-4`, without a dot, as a string)
    as a float; NaN and infinities are refused for every key (no setting means either)."""
    number = None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            pass
    if number is None:
        raise AttnkitError(f"recipe key {key!r}: expected float, got {value!r}")
    if not math.isfinite(number):
        raise AttnkitError(f"recipe key {key!r}: expected a finite number, got {value!r}")
    return number


def hint_name(hint: Any) -> str:
    return getattr(hint, "__name__", str(hint))


def recipe_to_dict(recipe: Any) -> dict[str, Any]:
    """The nested dict of a recipe (tuples become lists), JSON- and YAML-safe."""
    def plain(value: Any) -> Any:
        if isinstance(value, (list, tuple)):
            return [plain(v) for v in value]
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        return value

    return plain(dataclasses.asdict(recipe))


def write_recipe(recipe: Any, path: Path) -> None:
    """`recipe` (a recipe dataclass, or the dict `recipe_to_dict` makes of one) as YAML."""
    values = recipe if isinstance(recipe, dict) else recipe_to_dict(recipe)
    write_text_atomically(path, yaml.safe_dump(values, sort_keys=False))
