"""A calendar feed through the gateway: read without a token (a calendar client has none), limited per
address, and logged without its secret."""

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
from tests.support import running

SECRET = "Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5"
FEED = f"/api/v1/enrollment/calendar-feeds/{SECRET}/calendar.ics"


@pytest.fixture
async def gateway(
    auth_settings: dict[str, Any],
) -> AsyncIterator[tuple[httpx.AsyncClient, list[httpx.Request]]]:
    seen: list[httpx.Request] = []

    def route(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(
            200, text="BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", headers={"content-type": "text/calendar"}
        )

    async with fake_services(route) as urls:
        settings = GatewaySettings(
            **auth_settings, **urls, secret_url_burst=3, secret_url_rate_per_second=0.01
        )
        async with running(create_app(settings)) as client:
            yield client, seen


async def test_a_feed_is_read_without_a_token_and_a_leaked_one_is_not_hammered(
    gateway: tuple[httpx.AsyncClient, list[httpx.Request]],
) -> None:
    client, seen = gateway
    for _ in range(3):
        response = await client.get(FEED)
        assert response.status_code == 200, response.text
    assert seen[0].url.path.endswith(f"/calendar-feeds/{SECRET}/calendar.ics")
    limited = await client.get(FEED)
    assert limited.status_code == 429
    assert limited.headers["retry-after"]
    # Another feed has its own allowance; the rest of the API still wants a token.
    assert (await client.get(FEED.replace(SECRET, SECRET[::-1]))).status_code == 200
    assert (await client.get("/api/v1/enrollment/calendar-feeds")).status_code == 401
    assert (await client.post(FEED)).status_code == 401
    assert len(seen) == 4


async def test_the_secret_stays_out_of_the_access_log(
    gateway: tuple[httpx.AsyncClient, list[httpx.Request]], caplog: pytest.LogCaptureFixture
) -> None:
    configure_logging("gateway", "INFO", "json")
    access = logging.getLogger("uvicorn.access")
    with caplog.at_level("INFO"):
        access.info('%s - "%s %s HTTP/%s" %d', "10.1.2.3:5555", "GET", FEED + "?x=1", "1.1", 200)
    logged = [r.getMessage() for r in caplog.records if r.name == "uvicorn.access"]
    assert logged == [
        '10.1.2.3:5555 - "GET /api/v1/enrollment/calendar-feeds/{secret}/calendar.ics HTTP/1.1" 200'
    ]
    assert SECRET not in caplog.text
