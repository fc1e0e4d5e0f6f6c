"""What one request may ask of the server, and the guard that enforces the body size.

Every limit is checked before the work it bounds: the body size while the body streams in (and
from `Content-Length` before a byte is read), the number of inputs and the length of a text
before anything is queued, an image's pixel count from its header before its pixels are decoded,
and the time a request may wait for its answer.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


@dataclass(frozen=True)
class Limits:
    """max_json_bytes: body of a text request; max_upload_bytes: body of an image upload (all
    its files); max_texts, max_images: inputs per request; max_text_chars: one text;
    max_pixels: one image, width x height, read from its header; max_request_pixels: all the
    images of one request, read from their headers before any is decoded; parallel_decodes:
    images decoded at once, over all requests; timeout_s: how long a request waits for its
    answer (queue and inference); batch_window_s: how long a model waits for more
    requests to join a batch; max_batch: inputs in one model call (a larger request is one call
    of its own); max_batch_tokens: a batch of texts holds at most this many padded words (rows
    x its longest text's words: requests of similar length share a call, as the classifier's
    own batches of 32 rows and 6,144 tokens do); max_queued: inputs waiting for one model
    before new requests are turned away (503); parallel_calls: calls of one model that run at
    once, each on one thread (default: as many as torch has threads, one per core).

    Connections (`serve.connections`): idle_timeout_s: a kept-alive connection silent this
    long after an answer is closed; request_timeout_s: a request's header and body must arrive
    within this long of the connection opening (or of the previous answer); max_connections:
    open connections (more are closed at once; requests past it get 503); max_header_bytes: a
    request's header."""

    max_json_bytes: int = 1_000_000
    max_upload_bytes: int = 20_000_000
    max_texts: int = 64
    max_images: int = 16
    max_text_chars: int = 20_000
    max_pixels: int = 12_000_000
    max_request_pixels: int = 24_000_000
    parallel_decodes: int = 2
    timeout_s: float = 30.0
    batch_window_s: float = 0.005
    max_batch: int = 64
    max_batch_tokens: int = 6144
    max_queued: int = 2048
    parallel_calls: int = field(default_factory=lambda: torch_threads())
    idle_timeout_s: float = 5.0
    request_timeout_s: float = 60.0
    max_connections: int = 512
    max_header_bytes: int = 65_536

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            if not value > 0:
                raise ValueError(f"limit {name} must be positive, got {value}")


def torch_threads() -> int:
    import torch

    return max(1, torch.get_num_threads())


class BodyTooLarge(Exception):
    """The body went past the limit while it was being read."""


class BodyLimit:
    """ASGI middleware: a request whose body is (or claims to be) larger than its limit gets a
    413 with a JSON message; multipart uploads have their own, larger limit."""

    def __init__(self, app: Callable[..., Awaitable[None]], limits: Limits) -> None:
        self.app, self.limits = app, limits

    def limit_of(self, scope: Message) -> int:
        headers = dict(scope.get("headers") or [])
        content_type = headers.get(b"content-type", b"").decode("latin-1").lower()
        if content_type.startswith("multipart/form-data"):
            return self.limits.max_upload_bytes
        return self.limits.max_json_bytes

    async def __call__(self, scope: Message, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_of(scope)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await refuse(send, limit)
            return
        received = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                raise BodyTooLarge
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, watched_send)
        except BodyTooLarge:
            if not started:
                await refuse(send, limit)


async def refuse(send: Send, limit: int) -> None:
    body = json.dumps({"detail": f"request body too large: the limit is {limit:,} bytes"})
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body.encode()})
