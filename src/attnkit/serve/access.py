"""Who may use a server: the Host names it answers to, and an optional token.

A browser lets any web page send requests to a server on this computer, and a DNS-rebinding
page can even read the answers, under a name of its own. So the server answers only requests
whose `Host` header names it: loopback names, the address it listens on (for 0.0.0.0 or ::,
this computer's own names and addresses) and the names `--allow-host` adds; any other host gets
a 400. With a token (`--token`, or `ATTNKIT_TOKEN`), every request but the page's own files and
the API description must carry `Authorization: Bearer <token>` (401 otherwise); the page reads
the token from its address (`http://host:8000/#token=...`), which the browser never sends.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import socket
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
WILDCARD_ADDRESSES = ("0.0.0.0", "::", "")
TOKEN_VARIABLE = "ATTNKIT_TOKEN"
# What the page needs before it can send a token, and the API's description: no data in them.
OPEN_PATHS = ("/", "/docs", "/docs/oauth2-redirect", "/openapi.json")
OPEN_PREFIXES = ("/page/",)


@dataclass(frozen=True)
class Access:
    """hosts: the names (or addresses) a request's Host header may give, without the port;
    token: what `Authorization: Bearer` must say (None: no token asked)."""

    hosts: frozenset[str] = field(default_factory=lambda: frozenset(LOOPBACK_NAMES))
    token: str | None = None

    def __post_init__(self) -> None:
        if self.token is not None and not self.token.strip():
            raise ValueError("the token is empty: give one, or none")

    @classmethod
    def for_address(cls, host: str, allowed: Iterable[str] = (),
                    token: str | None = None) -> Access:
        """The loopback names, `host` (for a wildcard address, this computer's names and
        addresses) and `allowed`."""
        own = machine_names() if host in WILDCARD_ADDRESSES else {host}
        names = {*LOOPBACK_NAMES, *own, *allowed}
        return cls(frozenset(name.lower().strip("[]") for name in names if name), token)


def machine_names() -> set[str]:
    """This computer's host name, fully qualified name and their addresses (best effort: a
    name that does not resolve is left out)."""
    names = {socket.gethostname(), socket.getfqdn()}
    for name in list(names):
        try:
            names.update(info[4][0] for info in socket.getaddrinfo(name, None))
        except OSError:
            continue
    return names


def host_name(header: str) -> str:
    """The name of a Host header, without its port: "[::1]:8000" -> "::1"."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1:header.find("]")] if "]" in header else header
    if header.count(":") == 1:
        return header.partition(":")[0]
    try:
        return str(ipaddress.ip_address(header))  # a bare IPv6 address
    except ValueError:
        return header


class AccessGuard:
    """ASGI middleware: a foreign Host is a 400, a missing or wrong token a 401, each with a
    JSON message, before any route runs."""

    def __init__(self, app: Callable[..., Awaitable[None]], access: Access) -> None:
        self.app, self.access = app, access

    async def __call__(self, scope: Message, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        host = host_name(headers.get(b"host", b"").decode("latin-1"))
        if host not in self.access.hosts:
            shown = host[:64] or "(none)"
            await refuse(send, 400, f"this server does not answer for the host {shown!r}; if "
                         f"that is its name, start it with --allow-host {shown}")
            return
        if self.access.token is not None and not open_path(scope["path"]) and \
                not token_matches(headers.get(b"authorization", b""), self.access.token):
            await refuse(send, 401, "this server needs its token: send the header "
                         "'Authorization: Bearer <token>'",
                         [(b"www-authenticate", b"Bearer")])
            return
        await self.app(scope, receive, send)


def open_path(path: str) -> bool:
    return path in OPEN_PATHS or path.startswith(OPEN_PREFIXES)


def token_matches(header: bytes, token: str) -> bool:
    scheme, _, given = header.decode("latin-1").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode("utf-8"),
                                                              token.encode("utf-8"))


async def refuse(send: Send, status: int, detail: str,
                 headers: list[tuple[bytes, bytes]] | None = None) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()), *(headers or [])]})
    await send({"type": "http.response.body", "body": body})
