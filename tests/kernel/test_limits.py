"""A service bounds what it reads from a request itself, as the gateway does: 431 and 413 problems."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from services.catalog.app import create_app as create_catalog
from services.catalog.settings import CatalogSettings
from services.enrollment.app import create_app as create_enrollment
from services.enrollment.settings import EnrollmentSettings
from tests.support import TokenFactory, running


@pytest.fixture
async def catalog(service_settings: Callable[..., dict[str, Any]]) -> AsyncIterator[httpx.AsyncClient]:
    settings = CatalogSettings(**service_settings(max_body_bytes=4096, max_header_bytes=2048))
    async with running(create_catalog(settings)) as client:
        yield client


async def test_a_service_refuses_large_headers_and_bodies_itself(
    catalog: httpx.AsyncClient, tokens: TokenFactory
) -> None:
    headers = tokens.header("coordinator")
    crowded = await catalog.get("/offerings", headers={**headers, "X-Padding": "p" * 3000})
    assert crowded.status_code == 431
    assert crowded.json()["type"] == "urn:problem:headers-too-large"
    declared = await catalog.post("/offerings", content=b"{" + b" " * 5000 + b"}", headers=headers)
    assert declared.status_code == 413
    assert declared.json()["type"] == "urn:problem:payload-too-large"

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted as it is read
        for _ in range(10):
            yield b" " * 1000

    streamed = await catalog.post("/offerings", content=chunks(), headers=headers)
    assert streamed.status_code == 413
    assert streamed.json()["type"] == "urn:problem:payload-too-large"
    assert (await catalog.get("/offerings", headers=headers)).status_code == 200


async def test_a_token_of_forty_kilobytes_is_refused_before_it_is_parsed(
    service_settings: Callable[..., dict[str, Any]], tokens: TokenFactory
) -> None:
    async with running(create_enrollment(EnrollmentSettings(**service_settings()))) as enrollment:
        response = await enrollment.get(
            "/enrollments/mine", headers={"Authorization": "Bearer " + "a" * 40_000}
        )
    assert response.status_code == 431
    assert response.json()["type"] == "urn:problem:headers-too-large"
