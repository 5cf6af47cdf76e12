"""An anonymous ballot through the gateway: taken without a token, refused with one, and forwarded with
nothing about the client; neither logged, counted nor given a request id."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from gateway.app import create_app
from gateway.settings import GatewaySettings
from services.kernel.logs import configure_logging
from tests.fake_services import fake_services
from tests.support import TokenFactory, running

BALLOTS = "/api/v1/feedback/surveys/5d1c9a0e-8f3b-4c27-9a41-2b7e6f0d3c18/ballots"


@pytest.fixture
async def gateway(
    auth_settings: dict[str, Any],
) -> AsyncIterator[tuple[httpx.AsyncClient, list[httpx.Request]]]:
    seen: list[httpx.Request] = []

    def route(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(202, json={"survey_id": "5d1c9a0e-8f3b-4c27-9a41-2b7e6f0d3c18"})

    async with (
        fake_services(route) as urls,
        running(create_app(GatewaySettings(**auth_settings, **urls))) as client,
    ):
        yield client, seen


async def test_a_ballot_goes_through_without_a_token_and_without_the_client(
    gateway: tuple[httpx.AsyncClient, list[httpx.Request]],
) -> None:
    client, seen = gateway
    headers = {
        "X-Request-ID": "req-42",
        "X-Forwarded-For": "6.6.6.6",
        "User-Agent": "Mozilla/5.0 (Windows NT 10.0) Edg/131",
        "Accept-Language": "nb-NO",
        "Referer": "https://intranett.oslo.kommune.no/undersokelser/42",
        "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    }
    response = await client.post(BALLOTS, json={"answers": {}}, headers=headers)
    assert response.status_code == 202, response.text
    assert "x-request-id" not in response.headers
    (sent,) = seen
    assert sent.url.path.endswith("/ballots")
    assert {k for k in sent.headers if k not in ("host", "content-length")} <= {"content-type", "accept"}


async def test_a_ballot_with_a_sign_in_is_refused_and_not_forwarded(
    gateway: tuple[httpx.AsyncClient, list[httpx.Request]], tokens: TokenFactory
) -> None:
    client, seen = gateway
    for headers in (tokens.header(), {"Cookie": "sid=1"}):
        response = await client.post(BALLOTS, json={"answers": {}}, headers=headers)
        assert response.status_code == 400
        assert response.json()["type"].endswith("identity-not-allowed")
    assert seen == []


async def test_only_the_ballot_operation_is_open(
    gateway: tuple[httpx.AsyncClient, list[httpx.Request]],
) -> None:
    client, seen = gateway
    assert (await client.get(BALLOTS)).status_code == 401
    assert (await client.post("/api/v1/feedback/credentials", json={})).status_code == 401
    assert (await client.post(BALLOTS + "/x", json={})).status_code == 401
    assert seen == []


async def test_a_ballot_leaves_no_log_line_and_no_metric(
    gateway: tuple[httpx.AsyncClient, list[httpx.Request]], caplog: pytest.LogCaptureFixture
) -> None:
    client, _ = gateway
    configure_logging("gateway", "INFO", "json")
    access = logging.getLogger("uvicorn.access")
    with caplog.at_level("INFO"):
        # What uvicorn writes for each request (client, method, path, version, status).
        access.info('%s - "%s %s HTTP/%s" %d', "10.1.2.3:5555", "POST", BALLOTS, "1.1", 202)
        access.info(
            '%s - "%s %s HTTP/%s" %d', "10.1.2.3:5555", "GET", "/api/v1/catalog/offerings", "1.1", 200
        )
        await client.post(BALLOTS, json={"answers": {}})
    logged = [r.getMessage() for r in caplog.records if r.name == "uvicorn.access"]
    assert logged == ['10.1.2.3:5555 - "GET /api/v1/catalog/offerings HTTP/1.1" 200']
    metrics = (await client.get("/metrics")).text
    assert "ballots" not in metrics
    assert 'route="/api/v1/feedback",service="gateway",status="202"' not in metrics
