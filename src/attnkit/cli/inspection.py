"""`attnkit info RUN` (what a checkpoint or export holds) and `attnkit models` (the shipped
models and what they measured)."""

from __future__ import annotations

import argparse
import json


def add_arguments(parser: argparse.ArgumentParser, verb: str) -> None:
    if verb == "info":
        parser.add_argument("checkpoint", help="run folder, checkpoint file, .onnx export or "
                            "shipped model name")
        parser.set_defaults(func=show_info)
    else:
        parser.set_defaults(func=list_shipped)


def show_info(args: argparse.Namespace) -> None:
    from attnkit.run.checkpoint import load_checkpoint, resolve_checkpoint
    from attnkit.run.meta import recorded_pipeline
    from attnkit.run.onnx_files import graph_weights

    path = resolve_checkpoint(args.checkpoint)
    checkpoint = load_checkpoint(path)
    header, meta = checkpoint.header, checkpoint.meta
    parameters = sum(t.numel() for t in checkpoint.model_state.values())
    tensors = f"{len(checkpoint.model_state)} tensors"
    if "onnx" in header:  # an export: the weights are in its graph
        parameters, count = graph_weights(path)
        tensors = f"{count} {header.get('dtype', 'fp32')} ONNX initializers of its first graph"
    print(f"checkpoint      {path} ({path.stat().st_size / 1e6:.1f} MB)")
    print(f"format version  {header['format_version']}")
    print(f"pipeline        {recorded_pipeline(meta)}")
    print(f"epoch           {header.get('epoch')}")
    kept = (header.get("trainer") or {}).get("kept") or {}
    if kept.get("why"):  # which epoch the run keeps as best, and why (engine.monitor)
        print(f"kept as best    epoch {kept.get('epoch')}: {kept['why']}")
    print(f"parameters      {parameters:,} in {tensors}")
    print(f"optimizer state {'yes' if checkpoint.optimizer_state else 'no'}")
    for key, value in meta.items():
        if key not in ("task", "recipe", "model"):  # the model is the recipe's (and old
            # classifier checkpoints' duplicate of it)
            size = f"{len(value)} entries" if isinstance(value, (list, dict)) else repr(value)
            print(f"{key:<15} {size}")
    print("metrics         " + json.dumps(header.get("metrics", {})))
    recipe = dict(meta.get("recipe", {}))
    if isinstance(meta.get("model"), dict):  # an old classifier checkpoint: the model built
        recipe["model"] = meta["model"]
    print("recipe          " + json.dumps(recipe))


def list_shipped(args: argparse.Namespace) -> None:
    from attnkit.run.shipped import shipped_models

    models = shipped_models()
    if not models:
        print("no shipped models in this installation")
    for name, entry in models.items():
        measured = ", ".join(f"{key} {value}" for key, value in entry.get("measured", {}).items())
        print(f"{name:<10} {entry['pipeline']:<8} {entry.get('bytes', 0) / 1e6:5.1f} MB  "
              f"{measured}")
        if entry.get("note"):  # what a user should know before trusting it (e.g. attention)
            print(f"{'':<10} note: {entry['note']}")
