"""Micro-batching: concurrent requests answered by fewer model calls, each answer back to its
request in order; a bad input fails only its own request; the event loop answers while the
model computes; the time limit and the queue limit give a 503 with a JSON message."""

import threading
from concurrent.futures import ThreadPoolExecutor

from attnkit.serve.limits import Limits

from .served_models import counted, shipped, wait_until

DAYS = range(1, 9)


def post(client, texts):
    return client.post("/api/dates/predict", json={"inputs": texts})


def queued(client, model="dates"):
    return client.app.state.batchers[model].queued_inputs  # submitted, not yet in a call


def test_concurrent_requests_share_model_calls_and_get_their_own_answers(serve):
    gate = threading.Event()
    model, predictor = counted(shipped("dates"), gate=gate)
    limits = Limits(batch_window_s=0.05, parallel_calls=1)
    with serve([model], limits) as client, ThreadPoolExecutor(8) as pool:
        requests = [[f"{day} march 2001", f"{day} april 1999"] for day in DAYS]
        futures = [pool.submit(post, client, texts) for texts in requests]
        # the first call is held until every other request waits in the queue
        wait_until(lambda: predictor.calls and predictor.calls[0] + queued(client) == 16)
        gate.set()
        responses = [future.result() for future in futures]
    assert len(predictor.calls) <= 2 and sum(predictor.calls) == 16
    for day, response in zip(DAYS, responses, strict=True):
        outputs = [result["output"] for result in response.json()["results"]]
        assert outputs == [f"2001-03-{day:02d}", f"1999-04-{day:02d}"]


def test_a_bad_input_fails_its_own_request_only(serve):
    gate = threading.Event()
    model, predictor = counted(shipped("dates"), gate=gate)
    limits = Limits(batch_window_s=0.05, parallel_calls=1)
    with serve([model], limits) as client, ThreadPoolExecutor(3) as pool:
        first = pool.submit(post, client, ["1 may 2000"])
        wait_until(lambda: predictor.calls)
        good, bad = pool.submit(post, client, ["2 may 2000"]), pool.submit(post, client, [" "])
        wait_until(lambda: queued(client) == 2)
        gate.set()
        assert first.result().status_code == good.result().status_code == 200
        assert good.result().json()["results"][0]["output"] == "2000-05-02"
        assert bad.result().status_code == 422
        assert bad.result().json()["detail"] == "text 1: cannot translate an empty input"


def test_calls_of_one_model_run_side_by_side_up_to_the_limit(serve):
    """With parallel_calls=2 a second batch runs while the first is held, and a third waits
    for a free slot; each request still gets its own answers."""
    gate = threading.Event()
    model, predictor = counted(shipped("dates"), gate=gate)
    limits = Limits(batch_window_s=0.001, parallel_calls=2)
    with serve([model], limits) as client, ThreadPoolExecutor(3) as pool:
        first = pool.submit(post, client, ["1 may 2000"])
        wait_until(lambda: len(predictor.calls) == 1)
        second = pool.submit(post, client, ["2 may 2000", "3 may 2000"])
        wait_until(lambda: len(predictor.calls) == 2)  # not held back by the first call
        third = pool.submit(post, client, ["4 may 2000"])
        wait_until(lambda: queued(client) == 1)  # both slots taken: it waits in the queue
        assert len(predictor.calls) == 2
        gate.set()
        outputs = [[r["output"] for r in future.result().json()["results"]]
                   for future in (first, second, third)]
    assert outputs == [["2000-05-01"], ["2000-05-02", "2000-05-03"], ["2000-05-04"]]
    assert sorted(predictor.calls) == [1, 1, 2]


def test_model_calls_run_on_one_thread_each(serve):
    """A call runs on a worker thread with one torch thread (a torch thread pool driven from
    a worker thread answered one IMDB review in 89 ms instead of 7)."""
    import torch

    model, predictor = counted(shipped("dates"))
    threads = []
    predictor.predict = lambda inputs: threads.append(torch.get_num_threads()) or \
        predictor.predictor.predict(inputs)
    with serve([model], Limits(parallel_calls=2)) as client:
        assert post(client, ["3/12/11"]).status_code == 200
    assert threads == [1]


def test_the_event_loop_answers_while_the_model_computes(serve):
    model, predictor = counted(shipped("dates"), delay=1.5)
    with serve([model]) as client, ThreadPoolExecutor(1) as pool:
        slow = pool.submit(post, client, ["3/12/11"])
        wait_until(lambda: predictor.calls)
        health = client.get("/healthz")
        assert health.status_code == 200 and not slow.done()
        assert client.get("/api/models").status_code == 200 and not slow.done()
        assert slow.result().json()["results"][0]["output"] == "2011-03-12"


def test_time_limit_and_queue_limit_give_503(serve):
    gate = threading.Event()
    model, predictor = counted(shipped("dates"), gate=gate)
    limits = Limits(timeout_s=0.5, max_texts=2, max_batch=2, max_queued=2, parallel_calls=1)
    with serve([model], limits) as client, ThreadPoolExecutor(2) as pool:
        held = pool.submit(post, client, ["1 may 2000", "2 may 2000"])
        wait_until(lambda: predictor.calls)
        waiting = pool.submit(post, client, ["3 may 2000", "4 may 2000"])
        wait_until(lambda: queued(client) == 2)
        refused = post(client, ["5 may 2000"])
        assert refused.status_code == 503 and refused.headers["retry-after"] == "5"
        assert refused.json()["detail"].startswith("the server is busy (2 inputs are already")
        for response in (held.result(), waiting.result()):
            assert response.status_code == 503
            assert response.json()["detail"].startswith("no answer within the time limit of "
                                                         "0.5 s")
        gate.set()
        wait_until(lambda: queued(client) == 0)
        assert post(client, ["6 may 2000"]).json()["results"][0]["output"] == "2000-05-06"
    assert predictor.calls == [2, 1]  # the request that timed out in the queue never ran


def test_a_model_that_fails_gives_a_500_message_without_a_stack_trace(serve):
    model, predictor = counted(shipped("dates"))
    predictor.predict = lambda inputs: 1 / 0
    with serve([model]) as client:
        response = post(client, ["3/12/11"])
        assert response.status_code == 500
        assert response.json() == {"detail": "internal error: the server could not answer "
                                              "this request (see its log)"}
        assert client.get("/healthz").status_code == 200
