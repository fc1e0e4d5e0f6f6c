"""The micro-batcher alone, on a stand-in model: how jobs form batches, and errors."""

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from attnkit.errors import AttnkitError
from attnkit.serve.batching import MicroBatcher, QueueFull


def run(scenario, window_s=0.2, max_batch=4, max_queued=100, size=None, max_tokens=None):
    """scenario(batcher, calls) in a fresh event loop; `calls` lists each model call's inputs."""
    calls = []

    def answer(inputs):
        calls.append(list(inputs))
        if "bad" in inputs:
            raise AttnkitError("bad input")
        time.sleep(0.05)
        return [{"output": item.upper()} for item in inputs]

    async def main():
        with ThreadPoolExecutor(1) as executor:
            batcher = MicroBatcher(answer, executor, window_s, max_batch, max_queued,
                                   size=size, max_tokens=max_tokens)
            batcher.start()
            try:
                return await scenario(batcher, calls)
            finally:
                await batcher.stop()

    return asyncio.run(main()), calls


def test_a_lone_request_does_not_wait_for_the_window():
    """With an hour-long window, a lone request that waited for company would never come back
    inside the guard (a liveness guard, not a speed threshold)."""
    async def scenario(batcher, calls):
        return await asyncio.wait_for(batcher.submit(["a"]), timeout=60)

    answer, calls = run(scenario, window_s=3600.0)
    assert answer == [{"output": "A"}] and calls == [["a"]]


def test_overlapping_jobs_share_calls_up_to_max_batch_in_order():
    async def scenario(batcher, calls):
        jobs = [["a"], ["b", "c"], ["d"], ["e", "f"], ["g"]]
        return await asyncio.gather(*(batcher.submit(job) for job in jobs))

    answers, calls = run(scenario)
    assert [[a["output"] for a in answer] for answer in answers] == \
        [["A"], ["B", "C"], ["D"], ["E", "F"], ["G"]]
    assert calls == [["a", "b", "c", "d"], ["e", "f", "g"]]  # ["e", "f"] did not fit: the next call


def test_a_bad_input_fails_only_its_job_and_a_full_queue_refuses():
    async def scenario(batcher, calls):
        results = await asyncio.gather(batcher.submit(["a"]), batcher.submit(["bad"]),
                                       batcher.submit(["c"]), return_exceptions=True)
        with pytest.raises(QueueFull):
            await asyncio.gather(*(batcher.submit(["x"] * 3) for _ in range(2)))
        return results

    (first, bad, third), calls = run(scenario, max_queued=5)
    assert first == [{"output": "A"}] and third == [{"output": "C"}]
    assert isinstance(bad, AttnkitError) and str(bad) == "bad input"
    assert calls[:4] == [["a", "bad", "c"], ["a"], ["bad"], ["c"]]


def test_with_sizes_the_oldest_job_goes_first_with_the_nearest_in_size():
    """Six one-text jobs of sizes 1, 8, 1, 8, 1, 8 (the text's length) in batches of 3: the
    short ones share the first call (the oldest is short), the long ones the second, and every
    job still gets its own answer."""
    async def scenario(batcher, calls):
        jobs = [["x"], ["y" * 8], ["z"], ["w" * 8], ["v"], ["u" * 8]]
        return await asyncio.gather(*(batcher.submit(job) for job in jobs))

    answers, calls = run(scenario, max_batch=3, size=len)
    assert [answer[0]["output"] for answer in answers] == \
        ["X", "Y" * 8, "Z", "W" * 8, "V", "U" * 8]
    assert calls == [["x", "z", "v"], ["y" * 8, "w" * 8, "u" * 8]]


def test_a_batch_keeps_within_its_padded_tokens_and_the_oldest_is_never_passed_over():
    """max_tokens 10: two texts of 4 fit (8), a third (12) waits; a first job of 12 alone is
    over the budget and still goes first, by itself."""
    async def scenario(batcher, calls):
        jobs = [["a" * 12], ["b" * 4], ["c" * 4], ["d" * 4]]
        return await asyncio.gather(*(batcher.submit(job) for job in jobs))

    answers, calls = run(scenario, max_batch=8, size=len, max_tokens=10)
    assert [answer[0]["output"] for answer in answers] == ["A" * 12, "B" * 4, "C" * 4, "D" * 4]
    assert calls == [["a" * 12], ["b" * 4, "c" * 4], ["d" * 4]]
