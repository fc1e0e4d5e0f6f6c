"""Micro-batching: concurrent requests for one model answered by one model call.

Each request is a job (its inputs and a future) on the model's asyncio queue. One worker task
per model takes the oldest waiting job, waits at most `window_s` for more to join (until
`max_batch` inputs are waiting), and runs the model once on a batch in a worker thread, so the
event loop keeps answering other requests while the model computes. Answers go back to each job
in its order. Up to `parallel` calls of one model run at once (one per core, each on one
thread). Under load the batches form by themselves: requests that arrive while the calls
compute wait and go into the next calls. A request that finds the model idle, nothing waiting
and the last batch a single request goes at once, without the window.

Batches by length: a text model pays for the padding of its longest input in every row, so
when the batcher knows each input's `size` (about its tokens) it fills a batch with the waiting
jobs nearest in size to the oldest one, within `max_tokens` padded tokens (rows x the longest);
the others wait for a later call. The oldest job always goes into the next batch, so none
waits longer than the jobs before it. Without `size` (images) batches keep arrival order.

A bad input must not fail its neighbours: when the batched call raises AttnkitError, each job
of the batch is answered alone, and only the job that holds the bad input gets the error.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

from attnkit.errors import AttnkitError

LOG = logging.getLogger("attnkit.serve")
Answer = Callable[[Sequence[Any]], list[dict[str, Any]]]
Size = Callable[[Any], int]  # one input -> about its tokens


class QueueFull(Exception):
    """The model has more inputs waiting than the server accepts."""


@dataclass
class Job:
    """A request's inputs, the future of their answers, and its size: its longest input's
    (0 when the batcher has no `size`)."""

    inputs: Sequence[Any]
    future: asyncio.Future = field(repr=False)
    size: int = 0


class MicroBatcher:
    """Batches the jobs of one model. `answer` (inputs -> one answer per input) runs in
    `executor`, never on the event loop; `size` (an input -> about its tokens) and `max_tokens`
    (rows x the longest size, per batch) batch by length. Start it with `start()` inside the
    running loop."""

    def __init__(self, answer: Answer, executor: Executor, window_s: float, max_batch: int,
                 max_queued: int, parallel: int = 1, size: Size | None = None,
                 max_tokens: int | None = None) -> None:
        self.answer, self.executor = answer, executor
        self.window_s, self.max_batch, self.max_queued = window_s, max_batch, max_queued
        self.size, self.max_tokens = size, max_tokens
        self.slots = asyncio.Semaphore(parallel)  # model calls that may run at once
        self.running: set[asyncio.Task] = set()
        self.queue: asyncio.Queue[Job] = asyncio.Queue()
        self.waiting: list[Job] = []  # taken from the queue, not yet in a batch: oldest first
        self.queued_inputs = 0
        self.calls = 0  # model calls so far (batches), for /api/models and the benchmark
        self.task: asyncio.Task | None = None
        self.last_jobs = 0  # jobs in the last batch: more than one means requests overlap

    def start(self) -> None:
        self.task = asyncio.get_running_loop().create_task(self.work())

    async def stop(self) -> None:
        tasks = [task for task in (self.task, *self.running) if task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def submit(self, inputs: Sequence[Any]) -> list[dict[str, Any]]:
        """The answers to `inputs`, in order; the model's AttnkitError for a bad input."""
        if self.queued_inputs + len(inputs) > self.max_queued:
            raise QueueFull(f"{self.queued_inputs} inputs are already waiting for this model")
        size = max(map(self.size, inputs), default=1) if self.size else 0  # once, not per batch
        job = Job(inputs, asyncio.get_running_loop().create_future(), size)
        self.queued_inputs += len(inputs)
        self.queue.put_nowait(job)
        return await job.future

    async def work(self) -> None:
        while True:
            await self.slots.acquire()  # a free slot first: meanwhile the queue fills
            jobs = await self.next_batch()
            live = [job for job in jobs if not job.future.done()]  # timed out: dropped
            self.queued_inputs -= sum(len(job.inputs) for job in jobs)
            if not live:
                self.slots.release()
                continue
            self.calls += 1
            task = asyncio.get_running_loop().create_task(self.call(live))
            self.running.add(task)
            task.add_done_callback(self.running.discard)

    async def call(self, live: list[Job]) -> None:
        """One model call for the jobs `live`, in the executor; frees its slot when done."""
        try:
            try:
                answers = await asyncio.get_running_loop().run_in_executor(
                    self.executor, self.answer_jobs, live)
            except Exception as error:  # not the user's fault: every job of the batch fails
                LOG.exception("model call failed")
                answers = [error] * len(live)
            for job, answer in zip(live, answers, strict=True):
                if job.future.done():
                    continue
                if isinstance(answer, Exception):
                    job.future.set_exception(answer)
                else:
                    job.future.set_result(answer)
        finally:
            self.slots.release()

    async def next_batch(self) -> list[Job]:
        """The oldest waiting job and others chosen (`chosen`) from those waiting once the
        window has passed or `max_batch` inputs wait."""
        if not self.waiting:
            self.waiting.append(await self.queue.get())
        # A lone request on an idle model does not wait for company: one client pays no window.
        lone = self.last_jobs <= 1 and self.queue.empty() and len(self.waiting) == 1
        deadline = time.monotonic() + (0.0 if lone else self.window_s)
        while sum(len(job.inputs) for job in self.waiting) < self.max_batch:
            remaining = deadline - time.monotonic()
            try:
                job = self.queue.get_nowait() if remaining <= 0 else \
                    await asyncio.wait_for(self.queue.get(), remaining)
            except (asyncio.QueueEmpty, asyncio.TimeoutError):
                break
            self.waiting.append(job)
        while not self.queue.empty():  # everything already here is a candidate
            self.waiting.append(self.queue.get_nowait())
        jobs = self.chosen()
        taken = {id(job) for job in jobs}
        self.waiting = [job for job in self.waiting if id(job) not in taken]
        self.last_jobs = len(jobs)
        return jobs

    def chosen(self) -> list[Job]:
        """The oldest waiting job, then (by size, nearest first, when sizes are known; else in
        arrival order up to the first that does not fit) the jobs that keep the batch within
        `max_batch` inputs and `max_tokens` padded tokens."""
        first, *others = self.waiting
        if self.size is None:
            jobs, count = [first], len(first.inputs)
            for job in others:
                if count + len(job.inputs) > self.max_batch:
                    break
                jobs.append(job)
                count += len(job.inputs)
            return jobs
        jobs, count, longest = [first], len(first.inputs), first.size
        for job in sorted(others, key=lambda job: abs(job.size - first.size)):  # stable
            rows, widest = count + len(job.inputs), max(longest, job.size)
            if rows > self.max_batch or (self.max_tokens and rows * widest > self.max_tokens):
                continue
            jobs.append(job)
            count, longest = rows, widest
        return jobs

    def answer_jobs(self, jobs: Sequence[Job]) -> list[list[dict[str, Any]] | AttnkitError]:
        """One model call for all jobs; after an AttnkitError, one call per job. Runs in the
        executor's thread."""
        inputs = [item for job in jobs for item in job.inputs]
        try:
            answers = self.answer(inputs)
        except AttnkitError as error:
            if len(jobs) == 1:
                return [error]
            return [self.answer_alone(job) for job in jobs]
        split, start = [], 0
        for job in jobs:
            split.append(answers[start:start + len(job.inputs)])
            start += len(job.inputs)
        return split

    def answer_alone(self, job: Job) -> list[dict[str, Any]] | AttnkitError:
        try:
            return self.answer(job.inputs)
        except AttnkitError as error:
            return error
