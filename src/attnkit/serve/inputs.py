"""Reading the inputs of a predict request: a JSON list of texts, or image files in a multipart
form. Every problem is an HTTPException whose message names it: the status says whose it is
(400 unreadable, 413 too large, 415 wrong kind of body, 422 readable but not acceptable).

Texts come only as `application/json`: a web page may send `text/plain` or a form to any server
without asking it first (no CORS preflight), never JSON. Images are decoded a few at a time
(`Limits.parallel_decodes`, over all requests), after the pixels of all a request's images,
read from their headers, were checked against `Limits.max_request_pixels`."""

from __future__ import annotations

import asyncio
import io
import json
import warnings
from typing import TYPE_CHECKING, Any, NamedTuple

from fastapi import HTTPException, Request
from fastapi.concurrency import run_in_threadpool

from attnkit.data.images import IMAGE_FORMATS
from attnkit.serve.limits import Limits

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage

TEXT_BODY = '{"inputs": ["text", ...]}'
FIELD = "images"


def media_type(request: Request) -> str:
    return request.headers.get("content-type", "").partition(";")[0].strip().lower()


def is_multipart(request: Request) -> bool:
    return media_type(request) == "multipart/form-data"


async def text_inputs(request: Request, model: str, limits: Limits) -> list[str]:
    """The texts of a JSON body {"inputs": [...]}, sent as application/json."""
    if media_type(request) != "application/json":
        given = media_type(request)[:64] or "no Content-Type"
        raise HTTPException(415, f"model {model!r} reads texts: send JSON {TEXT_BODY} as "
                                 f"Content-Type application/json, not {given}")
    body = await request.body()
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError) as error:  # ValueError: bad JSON, bad UTF-8, too many
        # digits in a number; RecursionError: nested too deep
        problem = "nested too deep" if isinstance(error, RecursionError) else str(error)[:120]
        raise HTTPException(400, f"the body is not valid JSON ({problem}); send {TEXT_BODY}") \
            from None
    if not isinstance(payload, dict):
        raise HTTPException(422, f"expected a JSON object {TEXT_BODY}, got "
                                 f"{json_type(payload)}")
    unknown = sorted(set(payload) - {"inputs"})
    if unknown:
        raise HTTPException(422, f"unknown field {', '.join(map(repr, unknown))}: send "
                                 f"{TEXT_BODY}")
    if "inputs" not in payload:
        raise HTTPException(422, f"missing field 'inputs': send {TEXT_BODY}")
    return checked_texts(payload["inputs"], limits)


def checked_texts(texts: Any, limits: Limits) -> list[str]:
    if not isinstance(texts, list):
        raise HTTPException(422, f"'inputs' must be a list of texts, got {json_type(texts)}")
    if not texts:
        raise HTTPException(422, "'inputs' is empty: send at least one text")
    if len(texts) > limits.max_texts:
        raise HTTPException(422, f"too many inputs: {len(texts)}, at most {limits.max_texts} "
                                 "per request")
    for number, text in enumerate(texts, start=1):
        if not isinstance(text, str):
            raise HTTPException(422, f"text {number} is {json_type(text)}, not a string")
        if len(text) > limits.max_text_chars:
            raise HTTPException(422, f"text {number} has {len(text):,} characters, more than "
                                     f"the limit of {limits.max_text_chars:,}")
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise HTTPException(422, f"text {number} is not valid Unicode (it holds a lone "
                                     "surrogate such as \\ud800)") from None
    return texts


def json_type(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean",
             int: "a number", float: "a number", type(None): "null"}
    return names.get(type(value), type(value).__name__)


class NamedImage(NamedTuple):
    """An uploaded image, decoded, and the name its record gives it (the upload's file name,
    else "image N")."""

    name: str
    image: PILImage


async def image_inputs(request: Request, model: str, limits: Limits) -> list[NamedImage]:
    """The images of a multipart form, field `images`, each checked and decoded (in a worker
    thread: decoding a large image takes a while)."""
    if not is_multipart(request):
        raise HTTPException(415, f"model {model!r} reads images: send them as files in the "
                                 f"multipart/form-data field {FIELD!r}")
    try:
        form = await request.form(max_files=limits.max_images, max_fields=limits.max_images,
                                  max_part_size=4096)
    except Exception as error:  # Starlette's HTTPException: a malformed form, too many files
        if not hasattr(error, "status_code"):
            raise
        raise HTTPException(error.status_code, f"cannot read the upload: "
                                               f"{getattr(error, 'detail', error)}") from None
    try:
        unknown = sorted(set(form.keys()) - {FIELD})
        if unknown:
            raise HTTPException(422, f"unknown field {', '.join(map(repr, unknown))}: send the "
                                     f"images as files in the field {FIELD!r}")
        files = form.getlist(FIELD)
        if not files:
            raise HTTPException(422, f"no images: send them as files in the field {FIELD!r}")
        contents = []
        for number, upload in enumerate(files, start=1):
            if isinstance(upload, str) or not hasattr(upload, "read"):
                raise HTTPException(422, f"image {number} is a text field, not a file")
            name = str(getattr(upload, "filename", "") or "")[:200] or f"image {number}"
            contents.append((name, await upload.read()))
    finally:
        await form.close()
    pixels = sum([image_pixels(data, f"image {number}", limits.max_pixels)
                  for number, (_, data) in enumerate(contents, start=1)])
    if pixels > limits.max_request_pixels:
        raise HTTPException(413, f"the images have {pixels:,} pixels in all, more than the limit "
                                 f"of {limits.max_request_pixels:,} per request; send fewer "
                                 "or smaller images")
    decodes: asyncio.Semaphore = request.app.state.decodes
    images = []
    for number, (name, data) in enumerate(contents, start=1):
        async with decodes:
            images.append(NamedImage(name, await run_in_threadpool(
                decode_image, data, f"image {number}", limits.max_pixels)))
    return images


def image_pixels(data: bytes, where: str, max_pixels: int) -> int:
    """Width x height of an upload, read from its header (nothing is decoded)."""
    width, height = opened_image(data, where, max_pixels).size
    return width * height


def opened_image(data: bytes, where: str, max_pixels: int) -> PILImage:
    """An upload opened (its header read, its pixels not yet decoded) and its size checked."""
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=IMAGE_FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise HTTPException(413, f"{where} is too large to decode safely ({error})") from None
    except UnidentifiedImageError:
        raise HTTPException(422, f"{where} is not an image this server reads "
                                 f"({', '.join(IMAGE_FORMATS)})") from None
    except (OSError, SyntaxError, ValueError) as error:
        raise HTTPException(422, f"{where} is a corrupt or truncated image ({error})") from None
    width, height = image.size
    if width * height > max_pixels:
        raise HTTPException(413, f"{where} is {width} x {height} pixels, more than the "
                                 f"limit of {max_pixels:,}; scale it down first")
    return image


def decode_image(data: bytes, where: str, max_pixels: int) -> PILImage:
    """The decoded image of an upload; its size is read from the header and checked before its
    pixels are decoded."""
    from PIL import Image

    image = opened_image(data, where, max_pixels)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise HTTPException(413, f"{where} is too large to decode safely ({error})") from None
    except (OSError, SyntaxError, ValueError) as error:
        raise HTTPException(422, f"{where} is a corrupt or truncated image ({error})") from None
    return image
