"""How the server treats connections: uvicorn's HTTP/1.1 protocol (h11) with the deadlines and
the limit it lacks.

uvicorn closes a kept-alive connection that stays silent after an answer
(`timeout_keep_alive`), but never one that is silent from the start, nor a request whose header
or body trickles in a byte at a time: 1,100 silent connections once used up the process's file
descriptors. Here a request must arrive whole, header and body, within `request_timeout_s` of
the connection opening or of the previous answer, or the connection is closed; a connection
beyond `max_connections` is closed as soon as it is made; a header larger than
`max_header_bytes` is refused (h11's own limit); and uvicorn answers 503 past
`limit_concurrency` requests at once.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from attnkit.serve.limits import Limits

if TYPE_CHECKING:
    import uvicorn
    from fastapi import FastAPI


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, with a deadline for each request to arrive and a cap on open
    connections (subclassed per server with its limits: `protocol_for`)."""

    request_timeout_s = 60.0
    max_connections = 512

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.deadline: asyncio.TimerHandle | None = None
        if len(self.connections) > self.max_connections:
            transport.close()  # at once: its file descriptor is what others need
            return
        self.arm()

    def arm(self) -> None:
        self.disarm()
        self.deadline = self.loop.call_later(self.request_timeout_s, self.too_slow)

    def disarm(self) -> None:
        if getattr(self, "deadline", None) is not None:
            self.deadline.cancel()
            self.deadline = None

    def too_slow(self) -> None:
        """Close the connection unless its request has arrived whole (the app is answering
        it: the request's own time limit is the app's)."""
        self.deadline = None
        if self.conn.their_state in (h11.IDLE, h11.SEND_BODY) and \
                not self.transport.is_closing():
            self.transport.close()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self.arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self.disarm()
        super().connection_lost(exc)


def protocol_for(limits: Limits) -> type[GuardedH11Protocol]:
    return type("LimitedH11Protocol", (GuardedH11Protocol,),
                {"request_timeout_s": limits.request_timeout_s,
                 "max_connections": limits.max_connections})


def limited_server(app: FastAPI, access_log: bool = False) -> uvicorn.Server:
    """A uvicorn server for `app` under its limits (`app.state.limits`), to run on a socket
    of `command.bind` (`server.run(sockets=[...])`)."""
    import uvicorn

    limits: Limits = app.state.limits
    options: dict[str, Any] = {
        "http": protocol_for(limits), "timeout_keep_alive": limits.idle_timeout_s,
        "limit_concurrency": limits.max_connections,
        "h11_max_incomplete_event_size": limits.max_header_bytes}
    return uvicorn.Server(uvicorn.Config(app, access_log=access_log, log_level="info",
                                         timeout_graceful_shutdown=5, **options))
