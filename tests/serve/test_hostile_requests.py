"""Hostile requests to `attnkit serve`, one table (issue 26): each gets a 4xx JSON message that
names its problem, never a 500 and never a traceback in the log. Then what only a real server
shows, over raw sockets: a silent or slow client is disconnected, connections past the limit
are closed at once, and a client that leaves mid-body leaves no traceback behind."""

from __future__ import annotations

import contextlib
import io
import logging
import socket
import time
from collections.abc import Iterator

import pytest
from PIL import Image

from attnkit.serve.access import Access
from attnkit.serve.app import create_app
from attnkit.serve.limits import Limits

from .served_models import reviews, shipped, under_uvicorn

pytestmark = pytest.mark.timeout(120)
JSON = {"content-type": "application/json"}
TEXTS = b'{"inputs": ["the band played a new song"]}'


def png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("L", (width, height), 255).save(buffer, format="PNG")
    return buffer.getvalue()


CASES = [  # (name, method, path, options, status, start of the detail)
    ("foreign host", "get", "/api/models", {"headers": {"host": "evil.example"}}, 400,
     "this server does not answer for the host 'evil.example'; if that is its name, start it "
     "with --allow-host evil.example"),
    ("foreign host and port", "post", "/api/reviews/predict",
     {"headers": {"host": "rebound.example:8000", **JSON}, "content": TEXTS}, 400,
     "this server does not answer for the host 'rebound.example'"),
    ("foreign host, the page", "get", "/", {"headers": {"host": "evil.example"}}, 400,
     "this server does not answer for the host"),
    ("json as text/plain", "post", "/api/reviews/predict",
     {"headers": {"content-type": "text/plain"}, "content": TEXTS}, 415,
     "model 'reviews' reads texts: send JSON {\"inputs\": [\"text\", ...]} as Content-Type "
     "application/json, not text/plain"),
    ("json as a form", "post", "/api/reviews/predict",
     {"headers": {"content-type": "application/x-www-form-urlencoded"}, "content": TEXTS}, 415,
     "model 'reviews' reads texts: send JSON"),
    ("json without a type", "post", "/api/reviews/predict", {"content": TEXTS}, 415,
     "model 'reviews' reads texts: send JSON"),
    ("deeply nested json", "post", "/api/reviews/predict",
     {"headers": JSON, "content": b'{"inputs": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"},
     400, "the body is not valid JSON (nested too deep)"),
    ("5,000-digit integer", "post", "/api/reviews/predict",
     {"headers": JSON, "content": b'{"inputs": [' + b"7" * 5_000 + b"]}"}, 400,
     "the body is not valid JSON (Exceeds the limit"),
    ("lone surrogate", "post", "/api/reviews/predict",
     {"headers": JSON, "content": b'{"inputs": ["song \\ud800"]}'}, 422,
     "text 1 is not valid Unicode (it holds a lone surrogate"),
    ("one text past the length limit", "post", "/api/reviews/predict",
     {"json": {"inputs": ["s" * 41]}}, 422, "text 1 has 41 characters, more than the limit of 40"),
    ("images past the pixels of a request", "post", "/api/molecules/predict",
     {"files": [("images", ("a.png", png(100, 60), "image/png")),
                ("images", ("b.png", png(100, 41), "image/png"))]}, 413,
     "the images have 10,100 pixels in all, more than the limit of 10,000 per request"),
    ("one image past its pixels", "post", "/api/molecules/predict",
     {"files": [("images", ("a.png", png(100, 81), "image/png"))]}, 413,
     "image 1 is 100 x 81 pixels, more than the limit of 8,000"),
]
LIMITS = Limits(max_text_chars=40, max_request_pixels=10_000, max_pixels=8_000)


@pytest.fixture(scope="module")
def client():
    from .conftest import serving

    with serving([reviews(), shipped("molecules")], LIMITS) as client:
        yield client


@pytest.mark.parametrize("name, method, path, options, status, detail", CASES,
                         ids=[case[0] for case in CASES])
def test_each_hostile_request_is_a_4xx_naming_its_problem_and_logs_nothing(
        client, name, method, path, options, status, detail, caplog):
    with caplog.at_level(logging.WARNING):
        response = getattr(client, method)(path, **options)
    assert response.status_code == status, response.text
    assert response.json()["detail"].startswith(detail), response.json()
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]


def test_at_the_limits_requests_are_answered(client):
    """Off by one: exactly the longest text and exactly the pixels a request may have."""
    response = client.post("/api/reviews/predict", json={"inputs": ["song " * 8]})
    assert response.status_code == 200
    response = client.post("/api/molecules/predict", files=[
        ("images", ("a.png", png(100, 60), "image/png")),
        ("images", ("b.png", png(100, 40), "image/png"))])
    assert response.status_code == 422  # read, found blank: past the pixel checks
    assert "blank" in response.json()["detail"]


def test_hosts_allowed_and_the_token(serve):
    access = Access.for_address("127.0.0.1", ["attnkit.lan"], token="s3cret")
    with serve([reviews()], access=access) as client:
        for host in ("localhost", "127.0.0.1:8000", "[::1]:8000", "attnkit.lan", "ATTNKIT.lan"):
            response = client.get("/", headers={"host": host})
            assert response.status_code == 200, host  # the page needs no token
        assert client.get("/page/api.js").status_code == 200
        for header in ({}, {"authorization": "Bearer wrong"}, {"authorization": "s3cret"},
                       {"authorization": "Basic s3cret"}):
            response = client.post("/api/reviews/predict", json={"inputs": ["a song"]},
                                   headers=header)
            assert response.status_code == 401, header
            assert response.json()["detail"].startswith("this server needs its token")
        assert client.get("/api/models").status_code == 401
        response = client.post("/api/reviews/predict", json={"inputs": ["a song"]},
                               headers={"authorization": "Bearer s3cret"})
        assert response.status_code == 200
        assert client.get("/api/models", headers={"authorization": "bearer s3cret"}).is_success


def test_a_wildcard_address_answers_for_this_computers_names():
    access = Access.for_address("0.0.0.0")
    assert {"localhost", "127.0.0.1", "::1", socket.gethostname().lower()} <= access.hosts
    assert "0.0.0.0" not in access.hosts and "evil.example" not in access.hosts


@contextlib.contextmanager
def real_server(limits: Limits) -> Iterator[tuple[str, int]]:
    """The dates model under uvicorn with `limits`, in a thread: its (host, port)."""
    with under_uvicorn(create_app([shipped("dates")], limits)) as address:
        yield address


def closed_within(connection: socket.socket, seconds: float) -> float | None:
    """Seconds until the server closed `connection` (None: still open after `seconds`)."""
    start = time.monotonic()
    connection.settimeout(seconds)
    try:
        while connection.recv(1024):
            pass
    except TimeoutError:
        return None
    except ConnectionResetError:
        pass
    return time.monotonic() - start


def trickled(connection: socket.socket, start: bytes) -> bool:
    """Whether the server closes `connection` within 5 s while it sends `start` and then a byte
    every 0.1 s."""
    connection.sendall(start)
    began = time.monotonic()
    with contextlib.suppress(OSError):  # the server may close it between two bytes
        while time.monotonic() - began < 5.0:
            connection.sendall(b"x")
            time.sleep(0.1)
    return closed_within(connection, 0.5) is not None


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


SHORT = Limits(idle_timeout_s=0.5, request_timeout_s=1.0, max_connections=4, parallel_calls=1)


def test_silent_and_slow_clients_are_disconnected_and_connections_capped():
    with real_server(SHORT) as address:
        silent = socket.create_connection(address)
        assert closed_within(silent, 5.0) is not None, "a silent connection stayed open"
        header = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n"  # and a line never ending
        body = (b"POST /api/dates/predict HTTP/1.1\r\nHost: localhost\r\nContent-Type: "
                b"application/json\r\nContent-Length: 1000\r\n\r\n")  # and a body trickling
        for start in (header, body):
            slow = socket.create_connection(address)
            assert trickled(slow, start), f"a trickling request stayed open: {start!r}"
            slow.close()
        held = [socket.create_connection(address) for _ in range(4)]
        extra = socket.create_connection(address)
        assert closed_within(extra, 0.5) is not None, "a connection past the limit stayed open"
        for connection in [silent, extra, *held]:
            connection.close()


def test_a_client_that_leaves_mid_body_leaves_no_traceback():
    handler = Records()
    loggers = [logging.getLogger(name) for name in ("uvicorn.error", "attnkit.serve")]
    for logger in loggers:
        logger.addHandler(handler)
    try:
        with real_server(Limits(parallel_calls=1)) as address:
            with socket.create_connection(address) as leaving:
                leaving.sendall(b"POST /api/dates/predict HTTP/1.1\r\nHost: localhost\r\n"
                                b"Content-Type: application/json\r\nContent-Length: 1000\r\n"
                                b"\r\n" + b'{"inputs": ["3/1')
                time.sleep(0.3)
            with socket.create_connection(address) as after:  # the server still answers
                after.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
                after.settimeout(10)
                assert after.recv(1024).startswith(b"HTTP/1.1 200")
            time.sleep(0.3)
    finally:
        for logger in loggers:
            logger.removeHandler(handler)
    failures = [record for record in handler.records
                if record.levelno >= logging.ERROR or record.exc_info]
    assert not failures, [record.getMessage() for record in failures]
