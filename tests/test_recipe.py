import re
from dataclasses import dataclass, field
from typing import Literal

import pytest

from attnkit.engine.train_config import TrainConfig
from attnkit.errors import AttnkitError
from attnkit.recipe import load_recipe, recipe_from_dict, recipe_to_dict


@dataclass(frozen=True)
class ModelConfig:
    hidden: int = 8
    attention: Literal["dot", "additive"] = "dot"
    sizes: tuple[int, ...] = (1, 2)
    dropout: float = 0.0
    name: str | None = None


@dataclass(frozen=True)
class Recipe:
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)


def write(tmp_path, text):
    path = tmp_path / "recipe.yaml"
    path.write_text(text)
    return path


def test_yaml_then_overrides(tmp_path):
    path = write(tmp_path, "model:\n  hidden: 32\n  sizes: [3, 4]\ntrain:\n  lr: 0.01\n")
    recipe = load_recipe(Recipe, path, ["train.lr=3e-4", "model.attention=additive",
                                        "model.dropout=1"])
    assert recipe.model.hidden == 32 and recipe.model.sizes == (3, 4)
    assert recipe.train.lr == 3e-4 and recipe.model.attention == "additive"
    assert recipe.model.dropout == 1.0 and isinstance(recipe.model.dropout, float)
    assert recipe.train.epochs == TrainConfig().epochs


def test_round_trip_through_a_dict():
    recipe = load_recipe(Recipe, None, ["model.name=big", "model.sizes=[5]"])
    assert recipe_from_dict(Recipe, recipe_to_dict(recipe)) == recipe


@pytest.mark.parametrize("override, words", [
    ("model.hiden=3", ["'model.hiden'", "hidden"]),
    ("optimiser.lr=1", ["'optimiser'", "model, train"]),
    ("model.hidden=big", ["model.hidden", "int"]),
    ("model.attention=luong", ["model.attention", "'dot'"]),
    ("train.epochs=0", ["positive"]),
    ("nonsense", ["section.key=value"]),
    ("train.lr=nan", ["'train.lr'", "finite"]),
    ("train.lr=.inf", ["'train.lr'", "finite"]),
    ("train.time_limit_minutes=nan", ["time_limit_minutes", "finite"]),
    ("model.dropout=-.inf", ["model.dropout", "finite"]),
    ("train.seed=-1", ["seed must be from 0"]),
    ("train.seed=99999999999999999999", ["seed must be from 0"]),
    ("train.threads=100000", ["threads must be from 0"]),
    ("train.monitor=val_test_accuracy", ["'val_test_accuracy' names a test metric"]),
    ("train.monitor=test_loss", ["'test_loss' names a test metric"]),
])
def test_bad_keys_and_values_name_the_problem(override, words):
    with pytest.raises(AttnkitError, match=".*".join(map(re.escape, words))):
        load_recipe(Recipe, None, [override])


def test_missing_and_malformed_files(tmp_path):
    with pytest.raises(AttnkitError, match="not found"):
        load_recipe(Recipe, tmp_path / "nope.yaml")
    with pytest.raises(AttnkitError, match="no recipe named"):
        load_recipe(Recipe, "no-such-recipe")
    with pytest.raises(AttnkitError, match="cannot read"):
        load_recipe(Recipe, write(tmp_path, "model: [unclosed\n"))
    with pytest.raises(AttnkitError, match="mapping"):
        load_recipe(Recipe, write(tmp_path, "- 1\n- 2\n"))


def test_a_yaml_syntax_error_is_one_line_with_its_place(tmp_path):
    path = write(tmp_path, "train:\n  lr: [1, 2\n")
    with pytest.raises(AttnkitError, match=r"cannot read recipe .*recipe\.yaml: .*line 3") as error:
        load_recipe(Recipe, path)
    message = str(error.value)
    assert "\n" not in message and "recipe.yaml" in message and "at line 3, column 1" in message
