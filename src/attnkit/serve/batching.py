"""Micro-batching: concurrent requests for one model answered by one model call.

Each request is a job (its inputs and a future) on the model's asyncio queue. One worker task
per model takes the first job, waits at most `window_s` for more to join (until `max_batch`
inputs), and runs the model once on all of them in a worker thread, so the event loop keeps
answering other requests while the model computes. Answers go back to each job in its order.
Up to `parallel` calls of one model run at once (one per core, each on one thread). Under load
the batches form by themselves: requests that arrive while the calls compute wait in the
queue and all go into the next call. A request that finds the model idle, the queue empty and
the last batch a single request goes at once, without the window.

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


class QueueFull(Exception):
    """The model has more inputs waiting than the server accepts."""


@dataclass
class Job:
    inputs: Sequence[Any]
    future: asyncio.Future = field(repr=False)


class MicroBatcher:
    """Batches the jobs of one model. `answer` (inputs -> one answer per input) runs in
    `executor`, never on the event loop. Start it with `start()` inside the running loop."""

    def __init__(self, answer: Answer, executor: Executor, window_s: float, max_batch: int,
                 max_queued: int, parallel: int = 1) -> None:
        self.answer, self.executor = answer, executor
        self.window_s, self.max_batch, self.max_queued = window_s, max_batch, max_queued
        self.slots = asyncio.Semaphore(parallel)  # model calls that may run at once
        self.running: set[asyncio.Task] = set()
        self.queue: asyncio.Queue[Job] = asyncio.Queue()
        self.queued_inputs = 0
        self.calls = 0  # model calls so far (batches), for /api/models and the benchmark
        self.task: asyncio.Task | None = None
        self.carried: Job | None = None  # a job that did not fit into the last batch
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
        job = Job(inputs, asyncio.get_running_loop().create_future())
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
        """The first waiting job and those that join it within the window, up to max_batch
        inputs (a job that would overflow the batch starts the next one)."""
        first = self.carried or await self.queue.get()
        self.carried = None
        jobs, count = [first], len(first.inputs)
        # A lone request on an idle model does not wait for company: one client pays no window.
        lone = self.last_jobs <= 1 and self.queue.empty()
        deadline = time.monotonic() + (0.0 if lone else self.window_s)
        while count < self.max_batch:
            remaining = deadline - time.monotonic()
            try:
                job = self.queue.get_nowait() if remaining <= 0 else \
                    await asyncio.wait_for(self.queue.get(), remaining)
            except (asyncio.QueueEmpty, asyncio.TimeoutError):
                break
            if count + len(job.inputs) > self.max_batch:
                self.carried = job
                break
            jobs.append(job)
            count += len(job.inputs)
        self.last_jobs = len(jobs)
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
