"""The shipped recipes (`src/attnkit/configs/*.yaml`, also `configs/` at the repository root):
each is read by its pipeline's recipe class with every value it sets, the CLI's default recipes
are among them, `--config FILE` makes a user's YAML file the recipe, and a wrong key or type in
such a file is one error naming the key."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from attnkit.cli import main, verb_parser
from attnkit.cli.training import task_parser
from attnkit.errors import AttnkitError
from attnkit.pipelines.arguments import recipe_from_args
from attnkit.pipelines.registry import PIPELINES
from attnkit.recipe import RECIPE_DIR, load_recipe, recipe_to_dict

# which pipeline reads each shipped recipe (the CLI's defaults are checked against it below)
PIPELINE_OF = {"dates": "seq2seq", "dates_compare": "seq2seq", "seq2seq": "seq2seq",
               "imdb": "classify", "imdb_plus": "classify", "imdb_transformer": "classify",
               "molecules": "img2seq",
               "molecules_gpu": "img2seq", "molecules_mix": "img2seq",
               "molecules_unsupervised": "img2seq"}
SHIPPED = sorted(RECIPE_DIR.glob("*.yaml"))


def recipe_class(pipeline: str) -> type:
    return PIPELINES[pipeline].recipe_class


def commands_with_a_recipe() -> dict[tuple[str, ...], tuple[str, str]]:
    """{("train", "molecules"): ("molecules", "img2seq"), ...}: every command that takes
    --config, with the default recipe its parser names and the pipeline it belongs to."""
    found = {}
    for spec in PIPELINES.values():
        for task in spec.tasks:
            parser = task_parser(task.name)
            found[("train", task.name)] = (parser.get_default("default_config"), spec.name)
        for verb in spec.verbs:
            default = verb_parser(verb.name).get_default("default_config")
            if default is not None:
                found[(verb.name,)] = (default, spec.name)
    return found


def is_within(expected: object, actual: object) -> bool:
    """Whether every value of the YAML `expected` is in `actual` (a recipe as a dict)."""
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            key in actual and is_within(value, actual[key]) for key, value in expected.items())
    if isinstance(expected, list):
        return isinstance(actual, list) and len(expected) == len(actual) and all(
            is_within(e, a) for e, a in zip(expected, actual, strict=True))
    return expected == actual and type(expected) in (type(actual), int)  # 1 may be read as 1.0


def test_every_shipped_recipe_has_a_pipeline_and_configs_is_the_same_folder():
    assert {path.stem for path in SHIPPED} == set(PIPELINE_OF)
    assert (Path(__file__).parents[1] / "configs").resolve() == RECIPE_DIR.resolve()


def test_every_command_default_recipe_is_shipped_for_its_pipeline():
    commands = commands_with_a_recipe()
    assert ("train", "molecules") in commands and ("train", "imdb") in commands
    assert ("demo",) in commands and ("compare",) in commands
    for words, (default, pipeline) in commands.items():
        assert PIPELINE_OF.get(default) == pipeline, words


@pytest.mark.parametrize("path", SHIPPED, ids=[path.stem for path in SHIPPED])
def test_shipped_recipe_is_read_with_every_value_it_sets(path):
    cls = recipe_class(PIPELINE_OF[path.stem])
    recipe = load_recipe(cls, path.stem)
    assert isinstance(recipe, cls)
    written = yaml.safe_load(path.read_text())
    assert written and is_within(written, recipe_to_dict(recipe))
    assert load_recipe(cls, Path(__file__).parents[1] / "configs" / path.name) == recipe


def test_config_file_on_the_command_line_is_the_recipe(tmp_path):
    """The file replaces the default recipe (molecules.yaml) rather than adding to it: what it
    leaves out is the recipe class's default; --set still applies on top."""
    path = tmp_path / "mine.yaml"
    path.write_text("train:\n  epochs: 7\n  lr: 0.123\nmodel:\n  hidden_size: 48\n")
    args = task_parser("molecules").parse_args(["--config", str(path),
                                                "--set", "train.epochs=2"])
    cls = recipe_class("img2seq")
    recipe = recipe_from_args(cls, args)
    assert (recipe.train.epochs, recipe.train.lr, recipe.model.hidden_size) == (2, 0.123, 48)
    assert recipe.data == cls().data and recipe.data != load_recipe(cls, "molecules").data


BAD_FILES = {  # the file, the key it gets wrong, what the error says
    "unknown key": ("model:\n  hiden_size: 8\n", "model.hiden_size", "unknown recipe key"),
    "unknown section": ("modle:\n  hidden_size: 8\n", "modle", "unknown recipe key"),
    "wrong type": ("train:\n  epochs: three\n", "train.epochs", "expected int, got 'three'"),
    "bool for an int": ("train:\n  batch_size: true\n", "train.batch_size",
                        "expected int, got True"),
    "value for a section": ("train: 5\n", "train", "train must be a mapping, got 5"),
    "not one of the choices": ("train:\n  optimizer: sgd\n", "train.optimizer",
                               "'sgd' is not one of 'adam', 'adamw'"),
}


@pytest.mark.parametrize("pipeline", sorted(set(PIPELINE_OF.values())))
@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_recipe_file_is_an_error_naming_the_key(case, pipeline, tmp_path):
    text, key, message = BAD_FILES[case]
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(AttnkitError, match=re.escape(message)) as error:
        load_recipe(recipe_class(pipeline), path)
    assert key in str(error.value) and "\n" not in str(error.value)


def test_bad_recipe_file_stops_train_before_it_starts(tmp_path, capsys):
    path = tmp_path / "bad.yaml"
    path.write_text("model:\n  hiden_size: 8\n")
    run_dir = tmp_path / "run"
    assert main(["train", "molecules", "--config", str(path), "--run-dir", str(run_dir)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: unknown recipe key 'model.hiden_size'; valid keys here: ")
    assert "hidden_size" in err and err.count("\n") == 1 and not run_dir.exists()
