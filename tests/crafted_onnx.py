"""Crafted ONNX exports for the hostile-input table: tiny valid graphs (one Identity node) whose
attnkit metadata lies, beside the files they name (links out of the folder, a pipe, a folder,
the step graph of another export). Each must give one clear error before anything runs."""

from __future__ import annotations

import copy
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from attnkit.run.checkpoint import load_checkpoint


def identity_graph(name: str) -> Any:
    """A valid ONNX model: x -> Identity -> y (its doc string tells two apart)."""
    import onnx
    from onnx import TensorProto, helper

    graph = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], name,
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    model.doc_string = name
    onnx.checker.check_model(model)
    return model


def write_graph(path: Path, name: str, header: dict | str | None) -> bytes:
    from onnx import helper

    model = identity_graph(name)
    if header is not None:
        text = header if isinstance(header, str) else json.dumps(header)
        helper.set_model_props(model, {"attnkit": text})
    data = model.SerializeToString()
    path.write_bytes(data)
    return data


def base_header(checkpoint: Path, step_name: str, step: bytes) -> dict:
    """The header a two-graph export of `checkpoint` (a seq2seq run) has."""
    meta = load_checkpoint(checkpoint).meta
    return {"format_version": 1, "meta": meta, "dtype": "fp32",
            "onnx": {"format_version": 1, "graph": "encoder", "int8": False,
                     "graphs": {"encoder": "first.onnx", "step": step_name},
                     "memory": [["outputs", 0], ["mask", 0]], "state": [["hidden", 1]],
                     "attention": True, "sha256": {"step": hashlib.sha256(step).hexdigest()}}}


def crafted_exports(folder: Path, checkpoint: Path) -> dict[str, Path]:
    """name -> the first file of a crafted export, each in a folder of its own."""
    def export(name: str, change, step_name: str = "first.step.onnx",
               make_step=None) -> Path:  # noqa: ANN001
        home = folder / name
        home.mkdir()
        step = write_graph(home / "first.step.onnx", "step", None)
        header = base_header(checkpoint, step_name, step)
        if make_step is not None:
            make_step(home)
        changed = change(copy.deepcopy(header))
        write_graph(home / "first.onnx", "encoder", changed)
        return home / "first.onnx"

    def described(**values: Any):  # noqa: ANN202
        def change(header: dict) -> dict:
            header["onnx"].update(values)
            return header
        return change

    def dropped(key: str):  # noqa: ANN202
        def change(header: dict) -> dict:
            header["onnx"].pop(key)
            return header
        return change

    same = lambda header: header  # noqa: E731
    return {
        "onnx_not_json": export("not_json", lambda header: "{not json"),
        "onnx_graphs_list": export("graphs_list", described(graphs=["first.onnx", "x"])),
        "onnx_absolute": export("absolute", same, "/etc/passwd"),
        "onnx_parent": export("parent", same, "../first.step.onnx"),
        "onnx_number": export("number", same, 5),
        "onnx_link_zero": export("link_zero", same, "zero.onnx",
                                 lambda home: (home / "zero.onnx").symlink_to("/dev/zero")),
        "onnx_link_out": export("link_out", same, "out.onnx",
                                lambda home: (home / "out.onnx").symlink_to(
                                    home.parent / "not_json" / "first.step.onnx")),
        "onnx_fifo": export("fifo", same, "fifo.onnx",
                            lambda home: os.mkfifo(home / "fifo.onnx")),
        "onnx_folder": export("folder", same, "folder.onnx",
                              lambda home: (home / "folder.onnx").mkdir()),
        "onnx_no_interface": export("no_interface", dropped("memory")),
        "onnx_positions": export("positions", described(positions="many")),
        "onnx_no_hash": export("no_hash", dropped("sha256")),
        "onnx_other_step": export("other_step", described(sha256={"step": "0" * 64})),
        "onnx_version": export("version", described(format_version=99)),
        "onnx_step_given": export("step_given", described(graph="step")),
    }
