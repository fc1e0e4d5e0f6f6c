"""Imports run one way (STYLE.md, DEVELOPERS.md): every `import` of every module under
src/attnkit, including those inside functions, is read with `ast` and checked against the
layers below. An arrow pointing up, one pipeline reaching into another, a role of a pipeline
reaching into a later role, or any circle fails the test with the modules named.

    layers <- models <- engine, decoding <- runtime <- pipelines <- serve, cli <- api <- attnkit
    data, viz, numpy_ref and recipe sit beside layers, run (a model on disk) beside models;
    errors and version, then files and progress, under everything. The package root
    (`attnkit.load`, `attnkit.train`) is on top: no module of the package imports it.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import attnkit

SOURCE = Path(attnkit.__file__).parent

# Each part of the package may import the parts of a lower rank, never its own rank or higher
# (modules inside one part import each other freely, as long as there is no circle).
RANKS = {
    "errors": 0, "version": 0,
    "files": 1, "progress": 1,
    "layers": 2, "data": 2, "viz": 2, "numpy_ref": 2, "recipe": 2,
    "models": 3, "run": 3,
    "engine": 4, "decoding": 4,
    "runtime": 5,
    "pipelines": 6,
    "serve": 7,
    "cli": 8,
    "api": 9,
    "attnkit": 10,  # the package root: `import attnkit` gives the public API
}
# Stricter than rank: these parts may import only these parts.
ONLY = {
    "numpy_ref": {"errors"},
    "data": {"errors", "files", "progress"},
    "decoding": {"errors"},
    "run": {"errors", "files", "recipe"},
}
# numpy_ref runs on NumPy alone (the readable reference engine); the standard library is fine.
THIRD_PARTY = {"numpy_ref": {"numpy"}}
# Inside a pipeline package, each role may import the roles of a lower rank only.
# The NumPy engine reuses the torch training's task (its evaluation), so it comes after it.
ROLES = {
    "recipe": 0, "calibration": 0, "results": 1, "data": 1, "stacking": 2, "search": 2,
    "molecule_metrics": 2, "attention_supervision": 2, "osra": 2, "training": 3, "predictor": 3,
    "numpy_engine": 4, "compare": 4, "demo": 4, "export": 4, "evaluation": 4, "tasks": 5,
    "commands": 6,
}


def module_name(path: Path) -> str:
    parts = ("attnkit", *path.relative_to(SOURCE).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def all_modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(SOURCE.rglob("*.py"))}


def imported(module: str, path: Path, known: set[str]) -> tuple[set[str], set[str]]:
    """(attnkit modules, other top-level packages) that `module` imports anywhere in its file."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    inside, outside = set(), set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
                     for alias in node.names]
        else:
            continue
        for name in names:
            if name == "attnkit" or name.startswith("attnkit."):
                inside.add(name)
            else:
                outside.add(name.partition(".")[0])
    return inside, outside


def part(module: str) -> str:
    return module.split(".")[1] if module.count(".") else "attnkit"


def graph() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    modules = all_modules()
    inside, outside = {}, {}
    for module, path in modules.items():
        inside[module], outside[module] = imported(module, path, set(modules))
    return inside, outside


def pipeline_role(module: str) -> tuple[str, str] | None:
    """("seq2seq", "training") for attnkit.pipelines.seq2seq.training; None outside a package."""
    parts = module.split(".")
    if len(parts) == 4 and parts[1] == "pipelines":
        return parts[2], parts[3]
    return None


def wrong_arrows(inside: dict[str, set[str]]) -> list[str]:
    problems = []
    for module, targets in sorted(inside.items()):
        source = part(module)
        for target in sorted(targets):
            goal = part(target)
            if goal == source:
                pass
            elif goal not in RANKS or source not in RANKS:
                problems.append(f"{module} -> {target}: a part this test does not place")
            elif RANKS[goal] >= RANKS[source]:
                problems.append(f"{module} -> {target}: {source} may not import {goal}")
            elif source in ONLY and goal not in ONLY[source]:
                problems.append(f"{module} -> {target}: {source} imports only {ONLY[source]}")
            here, there = pipeline_role(module), pipeline_role(target)
            if source == goal == "pipelines" and not here and there:
                problems.append(f"{module} -> {target}: a shared pipeline module reaches into "
                                "one pipeline")
            elif here and there and here[0] != there[0]:
                problems.append(f"{module} -> {target}: one pipeline reaches into another")
            elif here and there and ROLES.get(there[1], 9) >= ROLES.get(here[1], 9) \
                    and here != there:
                problems.append(f"{module} -> {target}: {here[1]} may not import {there[1]}")
    return problems


def circles(inside: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan), or a self-import."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in inside.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1 or node in inside.get(node, ()):
                found.append(sorted(group))

    for node in sorted(inside):
        if node not in index:
            visit(node)
    return found


def test_every_arrow_points_down():
    inside, _ = graph()
    assert wrong_arrows(inside) == []


def test_no_import_circle():
    inside, _ = graph()
    assert circles(inside) == []


# The front ends know pipelines only through the registry and the prediction protocol
# (`attnkit.pipelines.registry`, `prediction`, `run_request`, `exporting`), never a pipeline's
# own modules, so a new pipeline needs no change to them.
FRONT_ENDS = ("serve", "cli", "api", "attnkit")


def reaches_into_a_pipeline(inside: dict[str, set[str]]) -> list[str]:
    return [f"{module} -> {target}" for module, targets in sorted(inside.items())
            if part(module) in FRONT_ENDS for target in sorted(targets)
            if pipeline_role(target) or (target.count(".") == 2 and
                                         target.startswith("attnkit.pipelines.") and
                                         (SOURCE / "pipelines" / target.split(".")[2]).is_dir())]


def test_front_ends_ask_the_registry_not_a_pipeline():
    inside, _ = graph()
    assert reaches_into_a_pipeline(inside) == []
    made_up = {"attnkit.serve.served": {"attnkit.pipelines.img2seq.predictor",
                                        "attnkit.pipelines.registry"},
               "attnkit.api": {"attnkit.pipelines.classify"}}
    assert reaches_into_a_pipeline(made_up) == [
        "attnkit.api -> attnkit.pipelines.classify",
        "attnkit.serve.served -> attnkit.pipelines.img2seq.predictor"]


def test_numpy_ref_needs_only_numpy():
    _, outside = graph()
    for module, packages in outside.items():
        allowed = THIRD_PARTY.get(part(module))
        if allowed is not None:
            extra = {name for name in packages if name not in sys.stdlib_module_names} - allowed
            assert not extra, f"{module} imports {sorted(extra)}"


def test_the_checks_catch_what_they_are_for():
    """A back-arrow, a circle and a role reaching forward, on a made-up graph."""
    made_up = {
        "attnkit.data.image_text": {"attnkit.pipelines.img2seq.molecule_metrics"},
        "attnkit.pipelines.img2seq.molecule_metrics": {"attnkit.data.molecule_render"},
        "attnkit.pipelines.seq2seq.commands": {"attnkit.pipelines.seq2seq.demo"},
        "attnkit.pipelines.seq2seq.demo": {"attnkit.pipelines.seq2seq.commands"},
        "attnkit.pipelines.seq2seq.training": {"attnkit.pipelines.seq2seq.predictor",
                                               "attnkit.pipelines.classify.data"},
        "attnkit.pipelines.arguments": {"attnkit.pipelines.img2seq.recipe"},
        "attnkit.cli": {"attnkit"},
    }
    problems = wrong_arrows(made_up)
    assert any("data may not import pipelines" in problem for problem in problems)
    assert any("demo may not import commands" in problem for problem in problems)
    assert any("training may not import predictor" in problem for problem in problems)
    assert any("one pipeline reaches into another" in problem for problem in problems)
    assert any("shared pipeline module reaches into" in problem for problem in problems)
    assert any("cli may not import attnkit" in problem for problem in problems)
    assert circles(made_up) == [["attnkit.pipelines.seq2seq.commands",
                                 "attnkit.pipelines.seq2seq.demo"]]


def test_every_folder_of_modules_is_a_package():
    """A folder without __init__.py imports in place (a namespace package) but is left out of
    the wheel (setuptools' find_packages)."""
    folders = {path.parent for path in SOURCE.rglob("*.py")}
    assert sorted(str(f.relative_to(SOURCE)) for f in folders
                  if not (f / "__init__.py").is_file()) == []
