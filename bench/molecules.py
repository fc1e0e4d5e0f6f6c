"""Benchmark of issue 17: molecule images -> SMILES, trained on rendered MOSES molecules.

Trains the recipe (or takes a finished run with `--run`), then on the first `--test-size`
molecules of the MOSES test split, drawn plainly at 128 px: exact match, validity, Tanimoto and
batched images/s of greedy search and of the recipe's search; the share of atom tokens whose
attention peak is within one grid cell of their atom (teacher-forced); exact match when the same
molecules are drawn at 256 and 512 px and scaled down by the pipeline; and OSRA on the same
images when `osra` is installed. `--baseline-run` adds another run's validation curve (the
previous recipe) for the side-by-side curve. Prints one JSON object.

    .venv/bin/python bench/molecules.py [--config molecules] [--minutes 120] [--run RUN]
        [--baseline-run RUN] [--beam 4 --prefer-valid] [--test-size 2000] [--size-test 500]
        [--osra-size 100]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from attnkit.data.chem import canonical_smiles
from attnkit.data.images import fit_on_white
from attnkit.data.molecule_render import (
    RenderConfig,
    RenderedMolecules,
    render_cache,
    render_smiles,
)
from attnkit.data.moses import load_moses
from attnkit.data.smiles_tokenizer import tokenize_smiles
from attnkit.pipelines.img2seq.data import (
    ImageTokenCollator,
    ImageTokens,
    atom_supervision,
    build_splits,
    encode_targets,
)
from attnkit.pipelines.img2seq.predictor import ImageReader
from attnkit.pipelines.img2seq.recipe import Img2SeqRecipe
from attnkit.pipelines.img2seq.training import img2seq_training, text_scores, train
from attnkit.recipe import load_recipe


def curve(run_dir: Path) -> list[dict]:
    """Validation metrics against cumulative training minutes, one point per epoch."""
    points, minutes = [], 0.0
    for line in (run_dir / "metrics.jsonl").read_text().splitlines():
        record = json.loads(line)
        minutes += record["train_seconds"] / 60
        points.append({"epoch": record["epoch"], "train_minutes": round(minutes, 2),
                       **{key: round(record[key], 4) for key in (
                           "val_exact_match", "val_validity", "val_attention_on_atom",
                           "val_loss") if key in record}})
    return points


def search_scores(reader: ImageReader, images: np.ndarray, smiles: list[str], name: str,
                  beam: int, prefer_valid: bool, batch_size: int) -> dict:
    reader.read(images[:8], beam_width=1)  # warm-up
    started = time.perf_counter()
    readings = reader.read(images, beam, prefer_valid, batch_size)
    seconds = time.perf_counter() - started
    scores = text_scores([r.text for r in readings], smiles, True)
    return {f"{name}_{key}": round(value, 4) for key, value in scores.items()} | \
        {f"{name}_images_per_second": round(len(smiles) / seconds, 1)}


def attention_on_atoms(reader: ImageReader, rendered: RenderedMolecules) -> float:
    """Teacher-forced: the share of atom tokens whose attention peak is within one cell of the
    atom, on the test molecules drawn as the recipe draws them (atoms in its SMILES order),
    batched and counted as the training task counts it on validation."""
    vocab, recipe = reader.vocab, reader.recipe
    ids = [vocab.encode(tokenize_smiles(text)) for text in rendered.smiles]
    molecules = ImageTokens(rendered.images, ids, atoms=rendered.atoms)
    collator = ImageTokenCollator(vocab.start_id, vocab.end_id, atom_supervision(vocab, recipe))
    task = img2seq_training(vocab, reader.max_length, recipe)
    counts: Counter[str] = Counter()
    with torch.no_grad():
        for start in range(0, len(ids), 250):
            batch = collator([molecules[i] for i in range(start, min(start + 250, len(ids)))])
            counts += task.held_out_counts(reader.model, batch)
    return round(counts["atoms_on_target"] / counts["atoms"], 4)


def drawn_at(smiles: list[str], size: int, model_size: int) -> np.ndarray:
    """The molecules drawn plainly at `size` px (as `render_smiles` draws them), then scaled
    to the model's size as the pipeline scales a user's image."""
    config = RenderConfig(image_size=size)
    return np.stack([fit_on_white(render_smiles(text, config).image, model_size)
                     for text in smiles])


def osra_scores(smiles: list[str], sizes: list[int], timeout: float) -> dict:
    """OSRA 2.x on the same plain drawings at each size: exact match and images/s."""
    if shutil.which("osra") is None:
        return {"osra": "not installed (apt-get install osra)"}
    version = subprocess.run(["osra", "--version"], capture_output=True, text=True)
    report = {"osra_version": (version.stdout or version.stderr).strip().splitlines()[0]}
    with tempfile.TemporaryDirectory() as folder:
        for size in sizes:
            config, exact, started = RenderConfig(image_size=size), 0, time.perf_counter()
            for i, text in enumerate(smiles):
                path = Path(folder) / f"{size}-{i}.png"
                Image.fromarray(render_smiles(text, config).image).save(path)
                try:
                    result = subprocess.run(["osra", str(path)], capture_output=True, text=True,
                                            timeout=timeout)
                    answer = (result.stdout.strip().splitlines() or [""])[0]
                except subprocess.TimeoutExpired:
                    answer = ""
                exact += canonical_smiles(answer) == canonical_smiles(text)
            report[f"osra_{size}px_exact_match"] = round(exact / len(smiles), 4)
            report[f"osra_{size}px_images_per_second"] = round(
                len(smiles) / (time.perf_counter() - started), 2)
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="molecules")
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    parser.add_argument("--minutes", type=float, help="training time budget (overrides the "
                        "recipe's train.time_limit_minutes)")
    parser.add_argument("--run", type=Path, help="evaluate this finished run instead of training")
    parser.add_argument("--baseline-run", type=Path, help="a run of the previous recipe: its "
                        "validation curve is reported beside this one's")
    parser.add_argument("--run-dir", type=Path, help="keep the trained run here")
    parser.add_argument("--test-size", type=int, default=2000)
    parser.add_argument("--size-test", type=int, default=500,
                        help="molecules drawn at 128/256/512 px for the size comparison")
    parser.add_argument("--osra-size", type=int, default=100)
    parser.add_argument("--osra-timeout", type=float, default=30.0)
    parser.add_argument("--beam", type=int, help="also measure this beam width (default: the "
                        "run's decode.beam_width, when above 1)")
    parser.add_argument("--prefer-valid", action="store_true", help="with --beam: the best "
                        "hypothesis that RDKit parses")
    parser.add_argument("--batch-size", type=int, default=250, help="inference batch size")
    parser.add_argument("--threads", type=int, help="torch.set_num_threads")
    parser.add_argument("--data-dir", help="data folder (default: $ATTNKIT_DATA)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    load_before = os.getloadavg()
    report: dict = {"config": args.config, "overrides": args.overrides,
                    "torch_threads": torch.get_num_threads()}
    run_dir = args.run
    if run_dir is None:
        overrides = list(args.overrides)
        if args.minutes is not None:
            overrides.append(f"train.time_limit_minutes={args.minutes}")
        recipe = load_recipe(Img2SeqRecipe, args.config, overrides)
        started = time.perf_counter()
        splits = build_splits(recipe, args.data_dir)
        report["render_or_cache_seconds"] = round(time.perf_counter() - started, 1)
        encoded = encode_targets(splits, recipe)
        run_dir = args.run_dir or Path(tempfile.mkdtemp()) / "run"
        history = train(recipe, splits, encoded, run_dir)
        seen = sum(r["train_seconds"] * r["train_items_per_second"] for r in history)
        trained = sum(r["train_seconds"] for r in history)
        report |= {"train_molecules": len(encoded.train_ids),
                   "train_images_per_second": round(seen / trained, 1),
                   "training_minutes": round(trained / 60, 2)}
    report["run"] = str(run_dir)
    report["curve"] = curve(run_dir)
    if args.baseline_run is not None:
        report["baseline_run"], report["baseline_curve"] = (str(args.baseline_run),
                                                            curve(args.baseline_run))
    reader = ImageReader.from_checkpoint(run_dir, "auto")
    recipe = reader.recipe
    smiles = load_moses("test", args.data_dir, args.test_size, download_if_missing=True)
    rendered = render_cache(smiles, recipe.render, Path(recipe.data.cache_dir).expanduser(),
                            label="render test")  # plain drawings, as a chemist's would be
    plain = rendered.images
    report["test_molecules"] = len(smiles)
    targets = rendered.smiles  # the same molecules, written as the run writes them
    report |= search_scores(reader, plain, targets, "test_greedy", 1, False, args.batch_size)
    beam = args.beam or recipe.decode.beam_width
    prefer_valid = args.prefer_valid or recipe.decode.prefer_valid
    if beam > 1:
        name = f"test_beam{beam}" + ("_prefer_valid" if prefer_valid else "")
        report |= search_scores(reader, plain, targets, name, beam, prefer_valid,
                                args.batch_size)
    report["test_attention_on_atom"] = attention_on_atoms(reader, rendered)
    sized = smiles[: args.size_test]
    for size in (128, 256, 512):
        readings = reader.read(drawn_at(sized, size, reader.image_size), 1, False,
                               args.batch_size)
        report[f"test_{size}px_greedy_exact_match"] = round(text_scores(
            [r.text for r in readings], sized, True)["exact_match"], 4)
    report["size_test_molecules"] = len(sized)
    report |= osra_scores(smiles[: args.osra_size], [128, 256, 512], args.osra_timeout)
    report["osra_molecules"] = min(args.osra_size, len(smiles))
    report["machine"] = {"platform": platform.platform(), "cpu_count": os.cpu_count(),
                         "torch": torch.__version__, "load_average_before": load_before,
                         "load_average_after": os.getloadavg()}
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
