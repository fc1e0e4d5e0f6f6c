"""The FastAPI application of `attnkit serve`: the JSON API, the page, and what guards them.

    GET  /                      the page (one view per pipeline)
    GET  /healthz               {"status": "ok", "models": [...]}
    GET  /api/models            each model's name, pipeline, view, task and measured accuracy
    POST /api/{model}/predict   {"inputs": [text, ...]} or multipart files `images`
                                -> {"results": [answer, ...]} in input order
    GET  /api/{model}/examples  built-in example images of a molecule model (PNG each)
    GET  /api/drawing.svg       RDKit's drawing of ?smiles=
    GET  /docs, /openapi.json   the API as FastAPI describes it

No client-supplied path is ever opened: the page's files are read from the package once, into
memory, and looked up by name. Requests for another host, or without the token when there is
one, are turned away first (`serve.access`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from importlib import resources

from fastapi import APIRouter, FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.requests import ClientDisconnect

from attnkit.errors import AttnkitError
from attnkit.serve.access import Access, AccessGuard
from attnkit.serve.api_routes import api_router
from attnkit.serve.batching import MicroBatcher, QueueFull
from attnkit.serve.limits import BodyLimit, Limits
from attnkit.serve.served import ServedModel
from attnkit.version import __version__

LOG = logging.getLogger("attnkit.serve")
PAGE_TYPES = {".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8",
              ".js": "text/javascript; charset=utf-8"}
# The page loads nothing from elsewhere; this says so to the browser too.
PAGE_POLICY = ("default-src 'self'; img-src 'self' blob: data:; style-src 'self'; "
               "script-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'")


def page_files() -> dict[str, bytes]:
    """name -> content of every file of the page."""
    folder = resources.files("attnkit.serve").joinpath("page")
    return {item.name: item.read_bytes() for item in folder.iterdir()
            if item.name.endswith(tuple(PAGE_TYPES))}


def one_thread() -> None:
    """Each model call runs on one thread of its own (several calls share the cores). A torch
    thread pool driven from a thread other than the main one woke its threads so slowly that
    one IMDB review took 89 ms instead of 7 ms."""
    import torch

    torch.set_num_threads(1)


def words(text: str) -> int:
    """About the tokens of a text, for batching by length (a word tokenizer's count)."""
    return len(text.split())


def create_app(models: Sequence[ServedModel], limits: Limits | None = None,
               access: Access | None = None) -> FastAPI:
    """The application serving `models` to the hosts and token of `access` (default: loopback
    names, no token); its micro-batchers run while its lifespan does (an ASGI server, or
    `with TestClient(app, base_url="http://localhost")`)."""
    limits, access = limits or Limits(), access or Access()
    served = {model.name: model for model in models}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        executor = ThreadPoolExecutor(max(1, len(served)) * limits.parallel_calls,
                                      initializer=one_thread, thread_name_prefix="attnkit-model")
        app.state.executor = executor  # the batchers' model calls, and the head views
        app.state.batchers = {
            name: MicroBatcher(model.answer, executor, limits.batch_window_s, limits.max_batch,
                               limits.max_queued, limits.parallel_calls,
                               words if model.inputs == "text" else None,
                               limits.max_batch_tokens)
            for name, model in served.items()}
        for batcher in app.state.batchers.values():
            batcher.start()
        app.state.decodes = asyncio.Semaphore(limits.parallel_decodes)
        try:
            yield
        finally:
            for batcher in app.state.batchers.values():
                await batcher.stop()
            executor.shutdown(wait=False, cancel_futures=True)

    app = FastAPI(title="attnkit", version=__version__, lifespan=lifespan,
                  description="Attention models with the attention they paid: dates, reviews "
                  "and molecule images. The page is at /.")
    app.state.served, app.state.limits = served, limits
    app.add_middleware(BodyLimit, limits=limits)
    app.add_middleware(AccessGuard, access=access)  # the outermost: before anything is read
    add_error_handlers(app)
    app.include_router(page_router())
    app.include_router(api_router())
    return app


def add_error_handlers(app: FastAPI) -> None:
    """Every error a JSON {"detail": message}; never a stack trace."""

    @app.exception_handler(AttnkitError)
    async def unreadable_input(request: Request, error: AttnkitError) -> JSONResponse:
        return JSONResponse({"detail": " ".join(str(error).split())}, status_code=422)

    @app.exception_handler(QueueFull)
    async def busy(request: Request, error: QueueFull) -> JSONResponse:
        return JSONResponse({"detail": f"the server is busy ({error}); try again"},
                            status_code=503, headers={"Retry-After": "5"})

    @app.exception_handler(ClientDisconnect)
    async def gone(request: Request, error: ClientDisconnect) -> Response:
        # the client left before its body arrived: nobody reads an answer, nothing failed
        return Response(status_code=400)

    @app.exception_handler(Exception)
    async def failed(request: Request, error: Exception) -> JSONResponse:
        LOG.error("request %s %s failed", request.method, request.url.path, exc_info=error)
        return JSONResponse({"detail": "internal error: the server could not answer this "
                                       "request (see its log)"}, status_code=500)


def page_router() -> APIRouter:
    """The page: index.html and its files, read from the package once, looked up by name."""
    router = APIRouter(include_in_schema=False)
    files = page_files()
    headers = {"Content-Security-Policy": PAGE_POLICY, "X-Content-Type-Options": "nosniff"}

    @router.get("/")
    async def index() -> HTMLResponse:
        return HTMLResponse(files["index.html"], headers=headers)

    @router.get("/page/{name}")
    async def page_file(name: str) -> Response:
        if name not in files:
            raise HTTPException(404, f"the page has no file {name[:64]!r}")
        suffix = name[name.rindex("."):]
        return Response(files[name], media_type=PAGE_TYPES[suffix], headers=headers)

    return router
