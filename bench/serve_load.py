"""Load check of `attnkit serve`: concurrent clients against one model, beside the offline
batched figure; prints one JSON object.

The server runs as `attnkit serve` in a subprocess on localhost (a free port). For each number
of clients, that many asyncio clients share a bounded loop of `--requests` requests of one input
each; the script reports latency percentiles, throughput, errors and how throughput compares
with the same model answering batches of `--batch` inputs in this process (the server's
end-to-end work without HTTP: the JSON answers included) and, for texts, with one `predict`
call on all the inputs (sorted by length into the predictor's own batches: bench/imdb.py's
end-to-end figure). `--runtime onnx-int8` serves a classifier under ONNX Runtime on int8
weights, and measures the offline figures on the same export. Server RSS is read at the start,
after a warm-up (every distinct input once) and after each level.

    .venv/bin/python bench/serve_load.py dates                         # 1, 10, 50 clients x 5,000
    .venv/bin/python bench/serve_load.py molecules --clients 1 10 --requests 500
    .venv/bin/python bench/serve_load.py runs/imdb --requests 2000     # any classifier run

Inputs: dates as people write them; molecule example drawings; for a classifier, IMDB test
reviews from $ATTNKIT_DATA when there, else short built-in sentences (reported). The clients run
on the same machine as the server, so on 2 cores they take CPU from it: the load average is
reported beside the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

SENTENCES = ["A wonderful film with a moving story and great acting.",
             "Dull, slow and far too long; I wanted my money back.",
             "The plot made no sense but the music was lovely.",
             "One of the best movies I have seen this year."]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", help="shipped model name, run folder or checkpoint file")
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 10, 50])
    parser.add_argument("--requests", type=int, default=5_000, help="per number of clients")
    parser.add_argument("--batch", type=int, default=64, help="offline batch size (default 64, "
                        "the server's largest batch)")
    parser.add_argument("--inputs", type=int, default=500, help="distinct inputs to cycle")
    parser.add_argument("--runtime", choices=("torch", "onnx", "onnx-int8"),
                        help="the server's and the offline figures' runtime (default: torch)")
    return parser.parse_args(argv)


def date_inputs(count: int) -> list[str]:
    rng = random.Random(0)
    forms = ["%d %B %Y", "%m/%d/%y", "%A, %B %d, %Y", "%Y.%m.%d", "%d %b %Y", "%B %d %Y"]
    start = datetime.date(1900, 1, 1)
    return [(start + datetime.timedelta(days=rng.randrange(73_000))).strftime(rng.choice(forms))
            for _ in range(count)]


def review_inputs(count: int) -> tuple[list[str], str]:
    from attnkit.data.imdb import find_imdb_source, read_imdb
    from attnkit.errors import AttnkitError

    try:
        source = find_imdb_source(Path(os.environ.get("ATTNKIT_DATA", "../shared/data")))
        texts = read_imdb(source, per_class_limit=count // 2 + 1)["test"].texts[:count]
        return texts, "IMDB test reviews"
    except AttnkitError:
        return (SENTENCES * (count // len(SENTENCES) + 1))[:count], "built-in sentences"


def image_inputs(model) -> list[bytes]:  # noqa: ANN001 - a ServedModel
    from attnkit.serve.drawing import EXAMPLES, example_png

    return [example_png(i, model.predictor.recipe.render) for i in range(len(EXAMPLES))]


def offline_rate(model, inputs: list, batch: int) -> float:  # noqa: ANN001
    """Inputs per second of `model.answer` (predict + JSON answers) on batches of `batch`."""
    import io

    from PIL import Image

    if model.inputs == "image":
        inputs = [Image.open(io.BytesIO(data)) for data in inputs]
    chunks = [inputs[start:start + batch] for start in range(0, len(inputs), batch)]
    model.answer(chunks[0])  # warm up
    done, started = 0, time.perf_counter()
    while time.perf_counter() - started < 10:
        for chunk in chunks:
            model.answer(chunk)
            done += len(chunk)
    return done / (time.perf_counter() - started)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def load(base: str, model, inputs: list, clients: int, total: int) -> dict:  # noqa: ANN001
    """`clients` aiohttp clients (one connection each, kept alive) share `total` requests of one
    input each. (httpx's AsyncClient was the bottleneck here: 190 requests/s of /healthz at 50
    connections, where the server answers 3,300.)"""
    import aiohttp

    latencies, errors, sent = [], [], 0

    def next_request() -> dict | None:
        nonlocal sent
        if sent >= total:
            return None
        item = inputs[sent % len(inputs)]
        sent += 1
        if model.inputs == "image":
            form = aiohttp.FormData()
            form.add_field("images", item, filename="m.png", content_type="image/png")
            return {"data": form}
        return {"json": {"inputs": [item]}}

    async def client(session: aiohttp.ClientSession) -> None:
        while (request := next_request()) is not None:
            started = time.perf_counter()
            try:
                async with session.post(f"{base}/api/{model.name}/predict", **request) as reply:
                    body = await reply.read()
                    if reply.status != 200:
                        errors.append(f"{reply.status} {body[:100]!r}")
            except aiohttp.ClientError as error:
                errors.append(repr(error))
            latencies.append(time.perf_counter() - started)

    connector = aiohttp.TCPConnector(limit=clients)
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        started = time.perf_counter()
        await asyncio.gather(*(client(session) for _ in range(clients)))
        wall = time.perf_counter() - started
    cuts = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else latencies * 99
    return {"clients": clients, "requests": total, "errors": len(errors),
            "first_errors": errors[:3], "seconds": round(wall, 2),
            "requests_per_second": round(total / wall, 1),
            "latency_ms": {"p50": round(1000 * cuts[49], 2), "p95": round(1000 * cuts[94], 2),
                           "p99": round(1000 * cuts[98], 2),
                           "max": round(1000 * max(latencies), 2)}}


def all_at_once_rate(model, inputs: list) -> float:  # noqa: ANN001
    """Inputs per second of one `predict` call on all `inputs` (texts: the predictor sorts
    them by length into its own batches, as bench/imdb.py's end-to-end figure does)."""
    model.predictor.predict(inputs[:8])  # warm up
    started = time.perf_counter()
    model.predictor.predict(inputs)
    return len(inputs) / (time.perf_counter() - started)


def start_server(model_argument: str, port: int, runtime: str | None) -> subprocess.Popen:
    import httpx

    options = ["--runtime", runtime] if runtime else []
    server = subprocess.Popen([sys.executable, "-m", "attnkit.cli", "serve", model_argument,
                               "--port", str(port), *options], stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server stopped: {server.stderr.read()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("the server did not start within 300 s")


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    import contextlib

    from attnkit.serve.served import load_served

    exports = contextlib.ExitStack()
    [model] = load_served([args.model], args.runtime, exports)
    pipeline = model.spec.name
    source = {"seq2seq": "generated dates", "img2seq": "molecule example drawings"}.get(pipeline)
    if pipeline == "seq2seq":
        inputs = date_inputs(args.inputs)
    elif pipeline == "img2seq":
        inputs = image_inputs(model)
    else:
        inputs, source = review_inputs(args.inputs)
    offline = offline_rate(model, inputs, args.batch)
    at_once = all_at_once_rate(model, inputs) if model.inputs == "text" else None
    exports.close()
    port = free_port()
    server = start_server(f"{model.name}={args.model}", port, args.runtime)
    try:
        before = rss_mb(server.pid)
        # warm-up: every distinct input once, at the largest concurrency (first-use buffers)
        asyncio.run(load(f"http://127.0.0.1:{port}", model, inputs, max(args.clients),
                         len(inputs)))
        warm = rss_mb(server.pid)
        levels = []
        for clients in args.clients:
            levels.append(asyncio.run(load(f"http://127.0.0.1:{port}", model, inputs, clients,
                                           args.requests)))
            levels[-1]["server_rss_mb_after"] = round(rss_mb(server.pid), 1)
        after = rss_mb(server.pid)
    finally:
        server.terminate()
        server.wait(30)
    for level in levels:
        level["fraction_of_offline"] = round(level["requests_per_second"] / offline, 3)
        if at_once:
            level["fraction_of_all_at_once"] = round(level["requests_per_second"] / at_once, 3)
    print(json.dumps({
        "model": args.model, "runtime": args.runtime or "torch", "pipeline": pipeline,
        "inputs": source,
        "offline": {"batch": args.batch, "inputs_per_second": round(offline, 1)},
        "all_at_once": at_once and {"inputs": len(inputs), "inputs_per_second": round(at_once, 1)},
        "levels": levels,
        "server_rss_mb": {"before": round(before, 1), "after_warm_up": round(warm, 1),
                          "after": round(after, 1),
                          "growth_from_start": round(after / before - 1, 3),
                          "growth_after_warm_up": round(after / warm - 1, 3)},
        "cpu_count": os.cpu_count(), "loadavg": [round(v, 2) for v in os.getloadavg()]},
        indent=2))


if __name__ == "__main__":
    main()
