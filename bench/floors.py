"""Arithmetic floors of the speed targets: the least time the matrix products alone can take here.

Every exact LSTM step must do its matrix products. This script counts them for each benchmark's
real workload (the same data, batch sizes and length-bucketed batches as the benchmarks) and
divides each product's floating-point operations by the best rate this machine reaches on a
product of that shape measured here: torch on all threads, torch on one thread times the
number of threads (independent streams, one per core), or NumPy (best of several runs of each).
Attention, the loss, the optimiser, Python and data loading are left out, so the real time can
only be higher: a target below its floor cannot be met by any exact implementation of the same
maths. A second figure adds the 5 H gate nonlinearities per LSTM step and row at the cheapest
rate measured here (torch.sigmoid on all threads; np.exp per core for the NumPy engine, which
computes each sigmoid and tanh with one exp); the forward gate values the backward pass needs
are stored, not recomputed.

    ATTNKIT_DATA=../shared/data .venv/bin/python bench/floors.py [--threads 2]

Prints one JSON object: the measured rates, then per target its floor and the target.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import time
from collections import Counter
from pathlib import Path

import numpy as np
import torch

from attnkit.data.bucketing import BucketBatchSampler
from attnkit.data.char_vocab import CharVocabulary
from attnkit.data.dates import generate_date_splits
from attnkit.data.sources import resolve_data_dir
from attnkit.pipelines.classify.data import prepare_imdb
from attnkit.pipelines.classify.recipe import ClassifyRecipe
from attnkit.recipe import load_recipe

Shape = tuple[int, int, int]  # (M, K, N): an (M, K) @ (K, N) product, 2 M K N operations
TARGET_STEPS = 11  # decoder steps of a date: <s> + "YYYY-MM-DD"


class Rates:
    """Operations per second of (M, K, N) float32 products, measured once per shape: the best of
    the given libraries (torch: MKL/oneDNN, numpy: OpenBLAS), since any of them could be used."""

    def __init__(self, libraries: tuple[str, ...]) -> None:
        self.libraries = libraries
        self.measured: dict[Shape, float] = {}

    def seconds(self, shape: Shape, count: int = 1) -> float:
        """Time of `count` products of this shape at the measured rate. A dimension above 1024
        (rows of a whole batch) is measured at the nearest point of a grid of ratio 2^(1/4):
        the rate hardly moves there, and the grid keeps the number of measurements small."""
        key = tuple(round(2 ** (round(4 * np.log2(d)) / 4)) if d > 1024 else d for d in shape)
        if key not in self.measured:
            self.measured[key] = max(measure(key, library) for library in self.libraries)
        M, K, N = shape
        return count * 2 * M * K * N / self.measured[key]

    def report(self) -> dict[str, float]:
        return {f"{M}x{K}x{N}": round(rate / 1e9, 1) for (M, K, N), rate in self.measured.items()}


@functools.cache
def measure(shape: Shape, library: str) -> float:
    """Best rate of 7 rounds of at least 50 ms each (the best, so that floors stay low).
    "torch-per-core" times one-thread products and counts them once per thread: two
    independent streams of products, one per core, never wait for each other."""
    if library == "torch-per-core":
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            return threads * time_products(shape, "torch")
        finally:
            torch.set_num_threads(threads)
    return time_products(shape, library)


def time_products(shape: Shape, library: str) -> float:
    M, K, N = shape
    rng = np.random.default_rng(0)
    a = rng.standard_normal((M, K), dtype=np.float32)
    b = rng.standard_normal((K, N), dtype=np.float32)
    out = np.empty((M, N), dtype=np.float32)
    if library == "torch":
        a, b, out = torch.from_numpy(a), torch.from_numpy(b), torch.from_numpy(out)
    product = torch.mm if library == "torch" else np.matmul
    repeats = max(1, int(5e-2 * 150e9 / (2 * M * K * N)))
    best = float("inf")
    for _ in range(7):
        started = time.perf_counter()
        for _ in range(repeats):
            product(a, b, out=out)
        best = min(best, (time.perf_counter() - started) / repeats)
    return 2 * M * K * N / best


def activations_per_second(engine: str, threads: int) -> float:
    """Nonlinearities per second, the cheapest way this machine offers: torch.sigmoid on all
    threads, or np.exp (one per sigmoid/tanh in the NumPy engine) times the threads, as NumPy
    runs each call on one core. Best of 5 over 4M floats."""
    values = np.random.default_rng(0).standard_normal(1 << 22, dtype=np.float32)
    out = np.empty_like(values)
    if engine == "torch":
        values, out = torch.from_numpy(values), torch.from_numpy(out)
    function, scale = (torch.sigmoid, 1) if engine == "torch" else (np.exp, threads)
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        function(values, out=out)
        best = min(best, time.perf_counter() - started)
    return scale * values.shape[0] / best


def gate_seconds(tokens: int, lstms: int, H: int, per_second: float) -> float:
    """Each LSTM step evaluates 5 H nonlinearities per row: sigmoid i, f, o, tanh g and tanh c."""
    return tokens * lstms * 5 * H / per_second


def lstm_layer_seconds(rates: Rates, B: int, S: int, inputs: int, H: int,
                       backward: bool) -> float:
    """Products of one LSTM layer and direction over a (B, S, inputs) batch: input projection
    and S recurrent steps; with `backward` also dX, dW_ih, S steps of dh and dW_hh."""
    G = 4 * H
    seconds = rates.seconds((B * S, inputs, G)) + rates.seconds((B, H, G), S)
    if backward:
        seconds += (rates.seconds((B * S, G, inputs)) + rates.seconds((inputs, B * S, G))
                    + rates.seconds((B, G, H), S) + rates.seconds((H, B * S, G)))
    return seconds


def bucketed_lengths(lengths: list[int], batch_size: int, multiplier: int) -> Counter:
    """(rows, padded length) of one epoch's length-bucketed batches -> how many batches."""
    sampler = BucketBatchSampler(lengths, batch_size, seed=0,
                                 bucket_size_multiplier=multiplier)
    return Counter((len(rows), max(lengths[i] for i in rows)) for rows in sampler)


def dates_floor(rates: Rates, recipe_batches: Counter, vocab: int) -> float:
    """One epoch of the book's attention seq2seq: encoder LSTM(16 -> 256) over the source,
    decoder LSTM(16 -> 256) over 11 target steps, output Linear(512 -> V)."""
    seconds = 0.0
    T = TARGET_STEPS
    for (B, S), count in recipe_batches.items():
        step = (lstm_layer_seconds(rates, B, S, 16, 256, True)
                + lstm_layer_seconds(rates, B, T, 16, 256, True)
                + rates.seconds((B * T, 512, vocab)) + rates.seconds((B * T, vocab, 512))
                + rates.seconds((512, B * T, vocab)))
        seconds += count * step
    return seconds


def imdb_floor(rates: Rates, batches: Counter, backward: bool) -> float:
    """2-layer BiLSTM(64) over 128-wide inputs (embedding, then 2 x 64), both directions."""
    return sum(count * 4 * lstm_layer_seconds(rates, B, S, 128, 64, backward)
               for (B, S), count in batches.items())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--data-dir", help="data folder (default: $ATTNKIT_DATA)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    best_rates = Rates(("torch", "torch-per-core", "numpy"))
    numpy_rates = Rates(("numpy",))
    warm_up = time.perf_counter() + 3.0  # the cores reach their full clock after a while
    while time.perf_counter() < warm_up:
        measure((1024, 1024, 1024), "torch")
    peak = best_rates.seconds((2048, 2048, 2048))

    dates = generate_date_splits(45_000, 0, 0, seed=0)
    date_batches = bucketed_lengths([len(s) for s in dates.train_sources], 128, 100)
    vocab = len(CharVocabulary.build(dates.train_sources + dates.train_targets))
    dates_torch = dates_floor(best_rates, date_batches, vocab)
    dates_numpy = dates_floor(numpy_rates, date_batches, vocab)

    recipe = load_recipe(ClassifyRecipe, "imdb", [])
    data = prepare_imdb(recipe.data, Path(resolve_data_dir(args.data_dir)), recipe.train.seed)
    train_batches = bucketed_lengths(data.train.lengths, 256, recipe.data.bucket_size_multiplier)
    test_lengths = sorted(data.test.lengths)
    test_batches = Counter((len(rows), max(rows)) for rows in
                           (test_lengths[i : i + 256] for i in range(0, len(test_lengths), 256)))
    imdb_train = imdb_floor(best_rates, train_batches, backward=True)
    imdb_test = imdb_floor(best_rates, test_batches, backward=False)
    padded: Counter = Counter()  # the same batches, every one padded to max_length 500
    for (B, _), count in train_batches.items():
        padded[(B, 500)] += count
    tokens = sum(B * S * count for (B, S), count in train_batches.items())
    date_tokens = sum(B * (S + TARGET_STEPS) * count for (B, S), count in date_batches.items())
    test_tokens = sum(B * S * count for (B, S), count in test_batches.items())
    torch_activations = activations_per_second("torch", args.threads)
    numpy_activations = activations_per_second("numpy", args.threads)
    dates_gates_torch = gate_seconds(date_tokens, 1, 256, torch_activations)
    dates_gates_numpy = gate_seconds(date_tokens, 1, 256, numpy_activations)
    imdb_gates = gate_seconds(tokens, 4, 64, torch_activations)
    test_gates = gate_seconds(test_tokens, 4, 64, torch_activations)
    print(json.dumps({
        "benchmark": "floors",
        "unit": "seconds of matrix products alone (lower bounds)",
        "threads": args.threads,
        "best_gflops_2048_cube": round(2 * 2048**3 / peak / 1e9, 1),
        "dates_epoch": {
            "target_s": 12, "floor_s": round(dates_torch, 2),
            "floor_with_activations_s": round(dates_torch + dates_gates_torch, 2),
            "numpy_target_s": 20, "numpy_floor_s": round(dates_numpy, 2),
            "numpy_floor_with_activations_s": round(dates_numpy + dates_gates_numpy, 2),
            "train_pairs": 45_000, "batch": 128, "padded_tokens": date_tokens},
        "imdb_seed_epoch": {
            "target_s": 40, "floor_s": round(imdb_train, 2),
            "floor_with_activations_s": round(imdb_train + imdb_gates, 2),
            "train_reviews": len(data.train), "batch": 256, "padded_tokens": tokens},
        "imdb_inference": {"target_reviews_per_s": 3000,
                           "ceiling_reviews_per_s": round(len(test_lengths) / imdb_test),
                           "ceiling_with_activations": round(
                               len(test_lengths) / (imdb_test + test_gates)),
                           "test_reviews": len(test_lengths), "batch": 256},
        "padding_ratio_ceiling": {
            "target": 2.5,
            "padded_500_over_bucketed_floor": round(
                imdb_floor(best_rates, padded, backward=True) / imdb_train, 3)},
        "activations_per_ns": {"torch_sigmoid": round(torch_activations / 1e9, 3),
                               "numpy_exp_all_threads": round(numpy_activations / 1e9, 3)},
        "best_of_torch_and_numpy_gflops_by_shape": best_rates.report(),
        "numpy_gflops_by_shape": numpy_rates.report(),
        "machine": {"platform": platform.platform(), "cpu_count": os.cpu_count(),
                    "torch": torch.__version__, "numpy": np.__version__,
                    "load_average": os.getloadavg()},
    }, indent=1))


if __name__ == "__main__":
    main()
