"""The JSON API of `attnkit serve`: the models, their predictions, and the molecule view's
pictures. Each route reads the served models and limits from the application's state and asks
a model only through its spec (the registry) and the prediction protocol."""

from __future__ import annotations

import asyncio
from dataclasses import asdict

from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from attnkit.errors import AttnkitError
from attnkit.serve.batching import MicroBatcher
from attnkit.serve.drawing import EXAMPLES, example_png, molecule_svg
from attnkit.serve.inputs import image_inputs, text_inputs
from attnkit.serve.served import ServedModel

PREDICT_BODY = {"required": True, "content": {
    "application/json": {"schema": {
        "type": "object", "required": ["inputs"], "additionalProperties": False,
        "properties": {"inputs": {"type": "array", "items": {"type": "string"}}}}},
    "multipart/form-data": {"schema": {
        "type": "object", "required": ["images"], "properties": {"images": {
            "type": "array", "items": {"type": "string", "format": "binary"}}}}}}}

HEADS_BODY = {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "required": ["inputs"], "additionalProperties": False,
    "properties": {"inputs": {"type": "array", "items": {"type": "string"},
                              "minItems": 1, "maxItems": 1}}}}}}


def model_named(request: Request, name: str) -> ServedModel:
    served = request.app.state.served
    if name not in served:
        raise HTTPException(404, f"no model named {name[:64]!r} here; models: "
                                 f"{', '.join(served) or 'none'}")
    return served[name]


def too_busy(timeout_s: float) -> HTTPException:
    return HTTPException(503, f"no answer within the time limit of {timeout_s:g} s (the server "
                              "is busy); try again", headers={"Retry-After": "5"})


def reads_molecules(model: ServedModel) -> bool:
    return bool(model.predictor.describe().get("molecules"))


def api_router() -> APIRouter:
    router = APIRouter()

    @router.get("/healthz")
    async def health(request: Request) -> dict:
        return {"status": "ok", "models": list(request.app.state.served)}

    @router.get("/api/models")
    async def list_models(request: Request) -> dict:
        return {"models": [model.summary() for model in request.app.state.served.values()],
                "limits": asdict(request.app.state.limits)}

    @router.post("/api/{model}/predict", openapi_extra={"requestBody": PREDICT_BODY})
    async def predict(model: str, request: Request) -> JSONResponse:
        """Texts as JSON {"inputs": [...]}, or images as multipart files `images`."""
        chosen, limits = model_named(request, model), request.app.state.limits
        read = image_inputs if chosen.inputs == "image" else text_inputs
        inputs = await read(request, model, limits)
        batcher: MicroBatcher = request.app.state.batchers[model]
        try:
            answers = await asyncio.wait_for(batcher.submit(inputs), limits.timeout_s)
        except asyncio.TimeoutError:
            raise too_busy(limits.timeout_s) from None
        # The answers are plain JSON values already: straight to json.dumps, not through
        # FastAPI's jsonable_encoder, which took milliseconds per answer on the event loop.
        return JSONResponse({"results": answers})

    @router.post("/api/{model}/heads", openapi_extra={"requestBody": HEADS_BODY})
    async def heads(model: str, request: Request) -> JSONResponse:
        """Every layer's and head's attention for one text {"inputs": [text]}, for a
        Transformer model ("heads" in /api/models): the page's head view."""
        chosen, limits = model_named(request, model), request.app.state.limits
        if not chosen.has_heads:
            raise HTTPException(404, f"model {model!r} has no attention heads to show (a "
                                     "Transformer has)")
        texts = await text_inputs(request, model, limits)
        if len(texts) != 1:
            raise HTTPException(422, f"the head view reads one text at a time, got "
                                     f"{len(texts)}")
        loop = asyncio.get_running_loop()
        work = loop.run_in_executor(request.app.state.executor, chosen.head_view, texts[0])
        try:
            record = await asyncio.wait_for(work, limits.timeout_s)
        except asyncio.TimeoutError:
            raise too_busy(limits.timeout_s) from None
        except AttnkitError as error:
            raise HTTPException(422, str(error)) from None
        return JSONResponse(record)

    add_molecule_routes(router)
    return router


def add_molecule_routes(router: APIRouter) -> None:
    """The molecules view's pictures: its built-in examples and RDKit's drawing of a SMILES."""

    @router.get("/api/{model}/examples")
    async def examples(model: str, request: Request) -> dict:
        if not reads_molecules(model_named(request, model)):
            return {"examples": []}
        return {"examples": [{"name": name, "smiles": smiles,
                              "image": f"/api/{model}/examples/{index}.png"}
                             for index, (name, smiles) in enumerate(EXAMPLES)]}

    @router.get("/api/{model}/examples/{index}.png")
    async def example_image(model: str, index: int, request: Request) -> Response:
        chosen = model_named(request, model)
        if not reads_molecules(chosen) or not 0 <= index < len(EXAMPLES):
            raise HTTPException(404, f"model {model!r} has no example {index}")
        size = chosen.predictor.describe()["image_size"]
        png = await run_in_threadpool(example_png, index, size)
        return Response(png, media_type="image/png")

    @router.get("/api/drawing.svg")
    async def drawing(smiles: str) -> Response:
        """RDKit's drawing of a SMILES (422 when it does not parse)."""
        svg = await run_in_threadpool(molecule_svg, smiles)
        return Response(svg, media_type="image/svg+xml",
                        headers={"Content-Security-Policy": "default-src 'none'"})
