"""`attnkit serve [RUN_OR_NAME ...] [--host 127.0.0.1] [--port 8000] [--allow-host NAME]
[--token TOKEN]`.

The address is checked and bound first, then every model is loaded, then uvicorn serves on the
bound socket: a busy port or a bad run fails at once, with its reason, before anything serves.
The server answers only for its own host names (`--allow-host` adds one) and, with a token
(`--token` or $ATTNKIT_TOKEN), only requests that carry it (`serve.access`); listening beyond
this computer without one prints a warning.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib.util
import os
import socket
import sys
from typing import TYPE_CHECKING

from attnkit.errors import AttnkitError
from attnkit.runtime.runtimes import RUNTIMES
from attnkit.serve.access import TOKEN_VARIABLE, Access

if TYPE_CHECKING:
    import uvicorn
    from fastapi import FastAPI

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


def add_arguments(serve: argparse.ArgumentParser, verb: str) -> None:
    serve.description = ("Serve models over HTTP: POST /api/NAME/predict, the page at /, the "
                         "API described at /docs. With no RUN_OR_NAME, the shipped models "
                         "(`attnkit models`).")
    serve.add_argument("models", nargs="*", metavar="RUN_OR_NAME",
                       help="run folder, checkpoint file or shipped model name; NAME=RUN "
                       "serves it as NAME (default name: the folder's or file's)")
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to listen on (default 127.0.0.1: this computer only; "
                       "0.0.0.0 opens it to the network)")
    serve.add_argument("--port", type=port_number, default=8000, help="default 8000")
    serve.add_argument("--allow-host", action="append", default=[], metavar="NAME",
                       help="also answer requests for this host name (the server answers "
                       "only for loopback names and the address it listens on; repeatable)")
    serve.add_argument("--token", help="require 'Authorization: Bearer TOKEN' on every request "
                       f"(default: ${TOKEN_VARIABLE}; the page takes it as /#token=TOKEN)")
    serve.add_argument("--runtime", choices=RUNTIMES,
                       help="run every model under torch (default) or ONNX Runtime: onnx, or "
                       "onnx-int8 (classifiers, int8 weights); a torch model is exported to a "
                       "temporary folder at start")
    serve.add_argument("--fallback", choices=("osra",),
                       help="have OSRA (the osra program) read the drawings a molecules model "
                       "flags as unsure, as `attnkit predict --fallback osra` does")
    serve.set_defaults(func=serve_command)


def port_number(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"--port must be a number from 1 to 65535, got {text!r}")
    return int(text)


# oneDNN keeps a compiled LSTM kernel per input shape, up to 1,024 of them by default; a
# server sees a new text length in nearly every batch, and the cache grew its memory by ~90 MB
# per 10,000 IMDB reviews. 16 kernels keep it flat, at no loss of speed (measured).
KERNEL_CACHE_CAPACITY = ("ONEDNN_PRIMITIVE_CACHE_CAPACITY", "16")


def serve_command(args: argparse.Namespace) -> None:
    require_serve_extra()
    os.environ.setdefault(*KERNEL_CACHE_CAPACITY)  # read when oneDNN builds its first kernel
    from attnkit.serve.app import create_app
    from attnkit.serve.served import load_served

    access = access_of(args)
    listening = bind(args.host, args.port)
    try:
        with contextlib.ExitStack() as exports:  # the temporary exports, while serving
            models = load_served(args.models, args.runtime, exports, args.fallback)
            server = uvicorn_server(create_app(models, access=access), access_log=True)
            announce(args, [model.name for model in models], access)
            # What is loaded now lives as long as the server: the collector's full passes
            # need not scan it again. They did after every few records, at 350 us an IMDB
            # answer (7 times the cost of building the record).
            gc.freeze()
            server.run(sockets=[listening])
    finally:
        gc.unfreeze()
        listening.close()


def announce(args: argparse.Namespace, names: list[str], access: Access) -> None:
    """Where the server listens, how to pass its token, and a warning when it is open."""
    where = address(args.host, args.port)
    print(f"serving {', '.join(names)} at {where} (API: /docs); Ctrl-C stops")
    if access.token is not None:
        print(f"with a token: open the page as {where}#token=TOKEN "
              "and send 'Authorization: Bearer TOKEN' to the API")
    if args.host not in LOCAL_HOSTS:
        print(f"note: --host {args.host} lets other computers reach this server")
        if access.token is None:
            print(f"WARNING: --host {args.host} without a token: anyone who can reach this "
                  "computer can use these models. Pass --token TOKEN (or set "
                  f"{TOKEN_VARIABLE}) to require one.", file=sys.stderr)


def access_of(args: argparse.Namespace) -> Access:
    """The hosts the server answers for and its token (--token, else $ATTNKIT_TOKEN)."""
    token = args.token if args.token is not None else os.environ.get(TOKEN_VARIABLE)
    if token is not None and not token.strip():
        raise AttnkitError(f"the token is empty: give one with --token (or {TOKEN_VARIABLE}), "
                           "or none")
    for name in args.allow_host:
        if not name.strip() or any(character in name for character in "/ \t"):
            raise AttnkitError(f"--allow-host {name!r}: expected a host name or address")
    return Access.for_address(args.host, args.allow_host, token)


def require_serve_extra() -> None:
    # python_multipart is how Starlette reads uploads; it is not imported here
    for module, distribution in (("fastapi", "fastapi"), ("uvicorn", "uvicorn"),
                                 ("python_multipart", "python-multipart")):
        if importlib.util.find_spec(module) is None:
            raise AttnkitError(f"attnkit serve needs {distribution}: pip install "
                               "attnkit[serve]")


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on host:port, or an AttnkitError saying why there cannot be one.

    It is made with its protocol (TCP) named: asyncio turns Nagle's algorithm off
    (TCP_NODELAY) only on connections of such sockets. With it on, an answer written in two
    parts waits for the client's delayed acknowledgement: about 40 ms on every request of a
    kept-alive connection."""
    try:
        family, kind, proto, _, where = socket.getaddrinfo(host, port,
                                                           type=socket.SOCK_STREAM)[0]
        listening = socket.socket(family, kind, proto)
        listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listening.bind(where)
        listening.listen(2048)
    except OSError as error:  # socket.gaierror too
        raise AttnkitError(f"cannot listen on {host} port {port}: "
                           f"{error.strerror or error}") from None
    return listening


def uvicorn_server(app: FastAPI, access_log: bool = False) -> uvicorn.Server:
    """A uvicorn server for `app` under its limits (`serve.connections`), to run on a socket of
    `bind` (`server.run(sockets=[...])`)."""
    from attnkit.serve.connections import limited_server

    return limited_server(app, access_log)


def address(host: str, port: int) -> str:
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"
