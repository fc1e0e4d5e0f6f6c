"""`serve(models, limits, access)` gives a TestClient of an app serving them, its batchers
running, as http://localhost (a host every app answers for)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence

import pytest
from fastapi.testclient import TestClient

from attnkit.serve.access import Access
from attnkit.serve.app import create_app
from attnkit.serve.limits import Limits
from attnkit.serve.served import ServedModel

from .served_models import reviews, shipped


@contextlib.contextmanager
def serving(models: Sequence[ServedModel], limits: Limits | None = None,
            access: Access | None = None) -> Iterator[TestClient]:
    with TestClient(create_app(models, limits, access), raise_server_exceptions=False,
                    base_url="http://localhost") as client:
        yield client


@pytest.fixture
def serve():
    return serving


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    """The shipped dates and molecules models and a tiny classifier as `reviews`."""
    with serving([shipped("dates"), shipped("molecules"), reviews()]) as client:
        yield client
