"""CPU training-step time of a 2-layer BiLSTM(64) text encoder: packed vs padded vs MaskedRNN.

Batches of 256 sequences follow the real IMDB train-review length distribution (whitespace
tokens of the lower-cased text, capped at 500). One step is forward + backward + Adam step of
embedding(10000, 128) -> encoder -> linear head on the last layer's final states -> cross-entropy.

  (a) packed:  nn.LSTM over pack_padded_sequence, random batches (exact, slow on CPU)
  (b) padded:  nn.LSTM over every batch padded to 500 (inexact: what packing is avoided for)
  (c) masked:  attnkit MaskedRNN over BucketBatchSampler batches (exact)

Usage: ATTNKIT_DATA=../shared/data .venv/bin/python bench/rnn_cpu.py [--threads 2]
Prints one JSON object. Never part of the test run.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import time
from collections.abc import Callable

import numpy as np
import torch
from torch import Tensor, nn

from attnkit.data.bucketing import BucketBatchSampler
from attnkit.data.imdb import find_imdb_source, read_imdb
from attnkit.data.sources import resolve_data_dir
from attnkit.layers import MaskedRNN
from attnkit.layers.recurrent import packed_forward

VOCABULARY, EMBEDDING, HIDDEN, LAYERS = 10_000, 128, 64, 2
EPOCH_REVIEWS = 25_000


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", help="folder with imdb/ (default: $ATTNKIT_DATA)")
    parser.add_argument("--threads", type=int, default=2, help="torch.set_num_threads")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--max-length", type=int, default=500)
    parser.add_argument("--packed-steps", type=int, default=2, help="timed steps of (a)")
    parser.add_argument("--padded-steps", type=int, default=5, help="timed steps of (b)")
    parser.add_argument("--masked-steps", type=int, default=16,
                        help="timed steps of (c): a length-stratified sample of one epoch's "
                             "bucketed batches (all of them if at least the epoch's count)")
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args()


def review_lengths(data_dir: str | None, max_length: int) -> np.ndarray:
    """Token counts of the IMDB train reviews, capped at max_length."""
    source = find_imdb_source(resolve_data_dir(data_dir))
    texts = read_imdb(source)["train"].texts
    return np.minimum([len(text.lower().split()) for text in texts], max_length)


class TextClassifier(nn.Module):
    """embedding -> encoder(x (B, S, E), lengths (B,)) -> (outputs, (h_n, c_n)) -> linear."""

    def __init__(self, encoder: Callable, parameters: nn.Module) -> None:
        super().__init__()
        self.embedding = nn.Embedding(VOCABULARY, EMBEDDING, padding_idx=0)
        self.recurrent = parameters
        self.encoder = encoder
        self.head = nn.Linear(2 * HIDDEN, 2)

    def forward(self, tokens: Tensor, lengths: Tensor) -> Tensor:
        _, (h_n, _) = self.encoder(self.embedding(tokens), lengths)
        return self.head(torch.cat([h_n[-2], h_n[-1]], dim=1))


def build_model(variant: str) -> TextClassifier:
    if variant == "masked":
        masked = MaskedRNN("lstm", EMBEDDING, HIDDEN, LAYERS, bidirectional=True)
        return TextClassifier(masked, masked)
    lstm = nn.LSTM(EMBEDDING, HIDDEN, LAYERS, batch_first=True, bidirectional=True)
    if variant == "packed":
        return TextClassifier(lambda x, n: packed_forward(lstm, x, n), lstm)
    return TextClassifier(lambda x, n: lstm(x), lstm)


def make_batch(lengths: np.ndarray, padded_length: int, rng: np.random.Generator):
    """Random token ids (1..V-1) at real positions, 0 at padding; random labels."""
    B = len(lengths)
    tokens = rng.integers(1, VOCABULARY, size=(B, padded_length))
    tokens[np.arange(padded_length)[None, :] >= lengths[:, None]] = 0
    labels = rng.integers(0, 2, size=B)
    return torch.from_numpy(tokens), torch.from_numpy(lengths.astype(np.int64)), \
        torch.from_numpy(labels)


def time_steps(variant: str, batches: list, warmup_batch) -> list[float]:
    """Seconds of each timed training step (forward + backward + Adam) after one warm-up step."""
    torch.manual_seed(0)
    model = build_model(variant)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

    def step(tokens: Tensor, lengths: Tensor, labels: Tensor) -> None:
        optimizer.zero_grad(set_to_none=True)
        loss = nn.functional.cross_entropy(model(tokens, lengths), labels)
        loss.backward()
        optimizer.step()

    step(*warmup_batch)
    times = []
    for batch in batches:
        start = time.perf_counter()
        step(*batch)
        times.append(time.perf_counter() - start)
    return times


def summary(times: list[float], steps_per_epoch: int, batches: str) -> dict:
    mean = float(np.mean(times))
    return {"seconds_per_step": round(mean, 4),
            "seconds_per_epoch": round(mean * steps_per_epoch, 2),
            "timed_steps": len(times), "min_step": round(min(times), 4),
            "max_step": round(max(times), 4), "batches": batches}


def measure(args: argparse.Namespace, lengths: np.ndarray) -> dict[str, dict]:
    """Time the three variants; each gets batches the way that variant is meant to be used."""
    rng = np.random.default_rng(args.seed)
    B, cap = args.batch_size, args.max_length
    steps_per_epoch = math.ceil(EPOCH_REVIEWS / B)
    order = rng.permutation(len(lengths))
    random_lengths = [lengths[order[i * B:(i + 1) * B]] for i in range(len(lengths) // B)]

    packed = [make_batch(n, int(n.max()), rng) for n in random_lengths[:args.packed_steps + 1]]
    warm_packed = tuple(part[:16] for part in packed[0])  # a full packed step takes minutes
    packed_times = time_steps("packed", packed[1:], warm_packed)

    padded = [make_batch(n, cap, rng) for n in random_lengths[:args.padded_steps + 1]]
    padded_times = time_steps("padded", padded[1:], padded[0])

    sampler = BucketBatchSampler(lengths.tolist(), B, seed=args.seed)
    epoch = sorted(sampler, key=lambda batch: int(lengths[batch].max()))
    # evenly spaced over the batches sorted by padded length: the sample mean estimates an epoch's
    count = min(args.masked_steps, len(epoch))
    picks = np.unique(np.linspace(0, len(epoch) - 1, count).round().astype(int))
    masked = [make_batch(lengths[epoch[i]], int(lengths[epoch[i]].max()), rng) for i in picks]
    masked_times = time_steps("masked", masked, masked[len(masked) // 2])

    return {
        "packed": summary(packed_times, steps_per_epoch, "random"),
        "padded": summary(padded_times, steps_per_epoch, f"random, padded to {cap}"),
        "masked": summary(masked_times, steps_per_epoch,
                          "BucketBatchSampler, length-stratified sample of one epoch"),
    }


def main() -> None:
    args = parse_arguments()
    torch.set_num_threads(args.threads)
    lengths = review_lengths(args.data_dir, args.max_length)
    load_before = os.getloadavg()
    results = measure(args, lengths)
    masked_step = results["masked"]["seconds_per_step"]
    padded_ratio = results["padded"]["seconds_per_step"] / masked_step
    packed_ratio = results["packed"]["seconds_per_step"] / masked_step
    print(json.dumps({
        "benchmark": "rnn_cpu",
        "step": "forward + backward + Adam step",
        "model": f"embedding({VOCABULARY}, {EMBEDDING}) -> {LAYERS}-layer BiLSTM({HIDDEN}) "
                 "-> linear(2) on the last layer's final h, cross-entropy",
        "settings": {"batch_size": args.batch_size, "max_length": args.max_length,
                     "reviews": len(lengths), "mean_length": round(float(lengths.mean()), 1),
                     "steps_per_epoch": math.ceil(EPOCH_REVIEWS / args.batch_size),
                     "seed": args.seed, "warmup": "1 untimed step per variant (packed: 16 rows)"},
        "machine": {"cpu_count": os.cpu_count(), "torch": torch.__version__,
                    "threads": torch.get_num_threads(), "platform": platform.platform(),
                    "load_average_before": [round(x, 2) for x in load_before],
                    "load_average_after": [round(x, 2) for x in os.getloadavg()]},
        "results": results,
        "ratios": {"padded_over_masked": round(padded_ratio, 2),
                   "packed_over_masked": round(packed_ratio, 2)},
        "targets_met": {"padded_over_masked>=2.5": padded_ratio >= 2.5,
                        "packed_over_masked>=30": packed_ratio >= 30},
    }, indent=2))


if __name__ == "__main__":
    main()
