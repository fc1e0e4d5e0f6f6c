"""Data-parallel training of the NumPy engine on forked processes.

Threads share one interpreter lock, which NumPy releases only inside its loops, so the ~40
small NumPy calls of every LSTM step keep two threads waiting on each other (see
`row_blocks`). Processes do not. Each of `processes` processes runs the whole model on a
contiguous share of every batch's rows (with one BLAS thread each, OPENBLAS_NUM_THREADS=1) and
writes its gradients, scaled by its share of the batch's real target tokens, into shared
memory. After a barrier every process adds all shares in the same order and applies the same
clipping and Adam update to its own copy of the model, so the copies stay bit-identical
without any weights being sent. Shares alternate between two buffers, so one barrier per step
is enough: a process can only write a buffer again after everyone has passed the next barrier,
that is, after everyone has read it.

The worker processes are forked when an epoch starts, from the parent's current model and
optimiser state, and end with the epoch; the parent is process 0 and keeps the model. While
the epoch runs, a thread of the parent watches the workers: one that ends (killed, say, by the
out-of-memory killer) breaks the barrier at once, and the epoch stops with an error naming it
and its exit code instead of waiting for it. A worker that does not end with exit code 0 after
the epoch is an error too. Fork is POSIX-only; elsewhere use `processes=1` (the plain
`Trainer`).
"""

from __future__ import annotations

import ctypes
import multiprocessing
import multiprocessing.connection
import signal
import threading
from collections.abc import Iterable

import numpy as np

from attnkit.errors import AttnkitError
from attnkit.numpy_ref.trainer import Batch, Trainer

BARRIER_TIMEOUT_SECONDS = 600.0
WATCH_SECONDS = 0.1  # how often the parent's watcher thread looks whether the epoch is over
STOP_SECONDS = 30.0  # how long a worker may take to end after the epoch


def share_rows(B: int, processes: int) -> list[slice]:
    """Contiguous row slices of a batch, one per process (empty when B < processes)."""
    bounds = [B * k // processes for k in range(processes + 1)]
    return [slice(bounds[k], bounds[k + 1]) for k in range(processes)]


class DataParallelTrainer(Trainer):
    """`Trainer` whose steps run on `processes` forked processes (see the module docstring);
    the same arguments, plus `processes` (1 = the plain trainer)."""

    def __init__(self, *args, processes: int = 2, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if processes < 1:
            raise AttnkitError(f"processes must be >= 1, got {processes}")
        if processes > 1 and "fork" not in multiprocessing.get_all_start_methods():
            raise AttnkitError("data-parallel training needs the fork start method (Linux or "
                               "macOS); use one process here")
        self.processes = processes
        sizes = [grad.size for grad in self.model.grads]
        bounds = np.concatenate([[0], np.cumsum(sizes)]).tolist()
        self.slices = [slice(bounds[i], bounds[i + 1]) for i in range(len(sizes))]
        self.exchanges = 0
        self.workers: list = []
        self.connections: list = []
        self.watcher: threading.Thread | None = None
        self.epoch_over = threading.Event()
        self.ended_rank: int | None = None  # the watcher's finding: the worker that ended
        self.shares: np.ndarray | None = None  # (2, processes, P) gradient shares
        self.losses: np.ndarray | None = None  # (2, processes) loss shares

    def train_epoch(self, batches: Iterable[Batch]) -> float:
        if self.processes == 1:
            return super().train_epoch(batches)
        self._start_workers()
        try:
            loss = super().train_epoch(batches)
        except BaseException:
            self._stop_workers(check=False)  # the error on its way says what went wrong
            raise
        self._stop_workers(check=True)
        return loss

    def compute_gradients(self, batch: Batch) -> float:
        if self.processes == 1:
            return super().compute_gradients(batch)
        try:
            for rank, connection in enumerate(self.connections, start=1):
                self._send(rank, connection, batch)
            return self._exchange(batch, rank=0)
        except BaseException:
            self.barrier.abort()  # the workers stop waiting for this process
            raise

    def _exchange(self, batch: Batch, rank: int) -> float:
        """This process's share of the batch, then everyone's summed into the model's grads.
        -> the batch's mean token loss."""
        buffer, self.exchanges = self.exchanges % 2, self.exchanges + 1
        rows = share_rows(len(batch["source"]), self.processes)[rank]
        real = batch["target_out"] != self.loss_layer.pad_id
        fraction = real[rows].sum() / max(real.sum(), 1)
        share = self.shares[buffer, rank]
        if fraction > 0:
            loss = super().compute_gradients({key: value[rows] for key, value in batch.items()})
            for grad, part in zip(self.model.grads, self.slices, strict=True):
                np.multiply(grad.reshape(-1), fraction, out=share[part])
        else:
            loss = 0.0
            share[...] = 0.0
        self.losses[buffer, rank] = loss * fraction
        try:
            self.barrier.wait(BARRIER_TIMEOUT_SECONDS)
        except threading.BrokenBarrierError:
            if self.ended_rank is not None:  # only ever set in the parent
                raise AttnkitError(self._describe_end(self.ended_rank)) from None
            raise AttnkitError("a data-parallel training process failed (its error is "
                               "above)") from None
        for grad, part in zip(self.model.grads, self.slices, strict=True):
            np.sum(self.shares[buffer, :, part], axis=0, out=grad.reshape(-1))
        return float(self.losses[buffer].sum())

    def _start_workers(self) -> None:
        context = multiprocessing.get_context("fork")
        if self.shares is None:
            dtype = self.model.grads[0].dtype
            total = self.slices[-1].stop
            raw = context.RawArray(ctypes.c_byte, 2 * self.processes * total * dtype.itemsize)
            self.shares = np.frombuffer(raw, dtype=dtype).reshape(2, self.processes, total)
            raw_losses = context.RawArray(ctypes.c_double, 2 * self.processes)
            self.losses = np.frombuffer(raw_losses, dtype=np.float64).reshape(2, self.processes)
            self.barrier = context.Barrier(self.processes)
        self.ended_rank = None
        for rank in range(1, self.processes):
            receiving, sending = context.Pipe(duplex=False)
            worker = context.Process(target=self._serve, args=(rank, receiving), daemon=True)
            worker.start()
            receiving.close()
            self.workers.append(worker)
            self.connections.append(sending)
        self.epoch_over.clear()  # the watcher starts after the forks: no thread is forked
        self.watcher = threading.Thread(target=self._watch, daemon=True)
        self.watcher.start()

    def _serve(self, rank: int, connection) -> None:
        """A worker process: one share of each batch the parent sends, until it sends None."""
        try:
            while (batch := connection.recv()) is not None:
                self._exchange(batch, rank)
                self.apply_gradients()
        except AttnkitError:
            if not self.barrier.broken:
                raise
            # another process failed and reports it; this one just stops
        except BaseException:
            self.barrier.abort()
            raise

    def _watch(self) -> None:
        """The parent's watcher thread: when a worker ends before the epoch is over, record
        which and break the barrier, so that no process waits for it. (The main thread reaps
        the worker and reports it.)"""
        sentinels = {worker.sentinel: rank for rank, worker in enumerate(self.workers, start=1)}
        while not self.epoch_over.is_set():
            ended = multiprocessing.connection.wait(list(sentinels), WATCH_SECONDS)
            if ended and not self.epoch_over.is_set():
                if not self.barrier.broken:  # else a failing process has reported already
                    self.ended_rank = sentinels[ended[0]]
                    self.barrier.abort()
                return

    def _send(self, rank: int, connection, batch: Batch) -> None:
        """Send a batch to a worker; one that has ended is an AttnkitError naming it."""
        try:
            connection.send(batch)
        except OSError:  # the pipe broke: the worker has ended
            raise AttnkitError(self._describe_end(rank)) from None

    def _describe_end(self, rank: int, when: str = "during the epoch") -> str:
        """How worker `rank` ended, once it has (waiting for that up to STOP_SECONDS)."""
        worker = self.workers[rank - 1]
        worker.join(STOP_SECONDS)
        code = worker.exitcode
        killed = code is not None and code < 0 and -code in signal.valid_signals()
        return (f"data-parallel worker {rank} (pid {worker.pid}) ended {when} with exit code "
                f"{code}" + (f", killed by {signal.Signals(-code).name}" if killed else ""))

    def _stop_workers(self, check: bool) -> None:
        """End the watcher, then the workers; with `check`, a worker that does not end with
        exit code 0 within STOP_SECONDS is an AttnkitError naming it."""
        self.epoch_over.set()
        if self.watcher is not None:
            self.watcher.join()
            self.watcher = None
        for connection in self.connections:
            try:
                connection.send(None)
            except OSError:
                pass  # the worker is gone already
            connection.close()
        problems = []
        for rank, worker in enumerate(self.workers, start=1):
            worker.join(STOP_SECONDS)
            if worker.is_alive():
                worker.terminate()
                worker.join()
                problems.append(f"data-parallel worker {rank} (pid {worker.pid}) did not end "
                                f"within {STOP_SECONDS:g} s after the epoch and was terminated")
            elif worker.exitcode != 0:
                problems.append(self._describe_end(rank, "after the epoch"))
        self.workers, self.connections = [], []
        if check and problems:
            raise AttnkitError("; ".join(problems))
