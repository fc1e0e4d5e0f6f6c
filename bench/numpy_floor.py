"""The NumPy engine's speed floor, measured: only the matrix products and exps of one epoch.

`bench/numpy_engine.py` trains the attention seq2seq on 45,000 date pairs with two forked
processes, each taking half of every 128-row batch. This script runs exactly the matrix
products of that epoch (the same bucketed batches, the same shapes, in the same processes,
OpenBLAS on one thread each) and the exps the engine computes (one per gate value and one per
tanh of the cell, plus the two softmaxes). Of the other element-wise work it keeps only the
concatenation that feeds the output layer and the sum of the two key gradients, as the engine
does them; no gate arithmetic, no optimiser, no exchange of gradients. The per-step products
write into preallocated arrays. Any exact NumPy implementation that splits the batch this way
does at least this work, so its epoch cannot be faster than this. `--processes 1
--blas-threads 2` times the other way to use two cores: one process with whole batches and two
OpenBLAS threads.

    .venv/bin/python bench/numpy_floor.py [--repeats 3]

Prints one JSON object: seconds per run (the epoch's products and exps in every process), the
engine's target, and the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--blas-threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--embedding", type=int, default=16)
    return parser.parse_args()


class Skeleton:
    """The products and exps of the engine's AttentionSeq2seq, forward and backward, for one
    share of a batch: b rows, source length S, TARGET_STEPS decoder steps."""

    TARGET_STEPS = 11  # <s> + "YYYY-MM-DD"

    def __init__(self, np, E: int, H: int, V: int) -> None:
        self.np, self.H = np, H
        rng = np.random.default_rng(0)
        self.Wx = rng.standard_normal((E, 4 * H), dtype=np.float32) * 0.1
        self.Wh = rng.standard_normal((H, 4 * H), dtype=np.float32) * 0.05
        self.Wh_T = self.Wh.T
        self.W_out = rng.standard_normal((2 * H, V), dtype=np.float32) * 0.05
        self.inputs = rng.standard_normal((32 * 128, E), dtype=np.float32)  # embedded tokens

    def lstm(self, b: int, T: int, zero_start: bool) -> tuple:
        """An LSTM's forward: the input projection, h @ Wh per step (none from a zero state),
        5H exps per row and step. -> what `lstm_backward` needs."""
        np, H = self.np, self.H
        xs = self.inputs[: T * b]
        gates = (xs @ self.Wx).reshape(T, b, 4 * H)
        states = np.zeros((T + 1, b, H), dtype=np.float32)
        recurrent, cell = np.empty((b, 4 * H), np.float32), np.empty((b, H), np.float32)
        first = 1 if zero_start else 0
        for t in range(T):
            if t >= first:
                np.matmul(states[t], self.Wh, out=recurrent)
            np.exp(gates[t], out=gates[t])
            np.exp(states[t], out=cell)
        return xs, gates, states, first

    def lstm_backward(self, xs, gates, states, first: int) -> None:
        """dh per step (none into a zero state), then dWh, dWx and the input gradients as one
        product each."""
        np, H = self.np, self.H
        T, b, _ = gates.shape
        dh = np.empty((b, H), np.float32)
        for t in reversed(range(first, T)):
            np.matmul(gates[t], self.Wh_T, out=dh)
        flat = gates.reshape(T * b, 4 * H)
        _ = states[first:-1].reshape(-1, H).T @ flat[first * b :]
        _ = xs.T @ flat
        _ = flat @ self.Wx.T

    def step(self, b: int, S: int) -> None:
        np, H, T = self.np, self.H, self.TARGET_STEPS
        encoder = self.lstm(b, S, zero_start=True)
        decoder = self.lstm(b, T, zero_start=False)
        queries = decoder[2][1:].transpose(1, 0, 2)  # (b, T, H)
        keys = encoder[2][1:].transpose(1, 0, 2)  # (b, S, H)
        scores = queries @ keys.transpose(0, 2, 1)
        np.exp(scores, out=scores)
        context = scores @ keys
        features = np.concatenate([context, queries], axis=2).reshape(b * T, 2 * H)
        logits = features @ self.W_out
        np.exp(logits, out=logits)
        _ = features.T @ logits
        dfeatures = (logits @ self.W_out.T).reshape(b, T, 2 * H)
        dcontext = dfeatures[:, :, :H]  # a view, as the engine's attention receives it
        dscores = dcontext @ keys.transpose(0, 2, 1)
        _ = dscores @ keys
        _ = scores.transpose(0, 2, 1) @ dcontext + dscores.transpose(0, 2, 1) @ queries
        self.lstm_backward(*decoder)
        self.lstm_backward(*encoder)


def main() -> None:
    args = parse_args()
    os.environ["OPENBLAS_NUM_THREADS"] = str(args.blas_threads)
    import numpy as np

    from attnkit.data.char_vocab import CharVocabulary
    from attnkit.data.dates import generate_date_splits
    from attnkit.numpy_ref.batching import batches_of, bucketed_order, pad_pairs
    from attnkit.numpy_ref.data_parallel import share_rows

    pairs = generate_date_splits(45_000, 0, 0, seed=0)
    vocab = CharVocabulary.build(pairs.train_sources + pairs.train_targets)
    train = pad_pairs([vocab.encode(text) for text in pairs.train_sources],
                      [vocab.encode(text) for text in pairs.train_targets], vocab.start_id,
                      vocab.end_id, reverse_source=True)
    shapes = [(len(batch["source"]), batch["source"].shape[1])
              for batch in batches_of(train, bucketed_order(train["source_lengths"], 128, 0, 0))]
    skeleton = Skeleton(np, args.embedding, args.hidden, len(vocab))

    def run(rank: int, batches: list[tuple[int, int]]) -> None:
        for B, S in batches:
            rows = share_rows(B, args.processes)[rank]
            skeleton.step(rows.stop - rows.start, S)

    seconds = []
    with np.errstate(over="ignore"):
        run(0, shapes[:30])  # warm up: allocations and the cores' clocks
        for _ in range(args.repeats):
            started = time.perf_counter()
            children = []
            for rank in range(1, args.processes):
                pid = os.fork()
                if pid == 0:
                    try:
                        run(rank, shapes)
                    finally:
                        os._exit(0)
                children.append(pid)
            run(0, shapes)
            for pid in children:
                os.waitpid(pid, 0)
            seconds.append(round(time.perf_counter() - started, 2))
    print(json.dumps({
        "benchmark": "numpy_floor",
        "unit": "seconds per epoch of the engine's matrix products and exps alone (a floor)",
        "seconds": seconds, "floor_s": min(seconds), "target_s": 20,
        "settings": {"train_pairs": 45_000, "batch": 128, "batches": len(shapes),
                     "embedding": args.embedding, "hidden": args.hidden,
                     "processes": args.processes, "blas_threads": args.blas_threads},
        "machine": {"platform": platform.platform(), "cpu_count": os.cpu_count(),
                    "numpy": np.__version__, "load_average": os.getloadavg()},
    }, indent=1))


if __name__ == "__main__":
    main()
