"""W3C trace context: from the gateway into services, into events, and on through consumers."""

from __future__ import annotations

from typing import Any

import httpx

from gateway.app import create_app as create_gateway
from gateway.settings import GatewaySettings
from tests.fake_services import fake_services
from tests.support import TokenFactory, running

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
INCOMING = f"00-{TRACE}-00f067aa0ba902b7-01"


async def test_the_gateway_passes_the_trace_on(auth_settings: dict[str, Any], tokens: TokenFactory) -> None:
    seen: list[httpx.Request] = []

    def upstream(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={})

    async with (
        fake_services(upstream) as urls,
        running(create_gateway(GatewaySettings(**auth_settings, **urls))) as client,
    ):
        await client.get("/api/v1/catalog/offerings", headers={**tokens.header(), "traceparent": INCOMING})
        await client.get("/api/v1/catalog/offerings", headers={**tokens.header(), "traceparent": "garbage"})
        unsampled = f"00-{TRACE}-00f067aa0ba902b7-00"
        await client.get("/api/v1/catalog/offerings", headers={**tokens.header(), "traceparent": unsampled})
    kept, fresh, declined = (r.headers["traceparent"] for r in seen)
    assert kept.startswith(f"00-{TRACE}-")
    assert kept.endswith("-01")
    assert kept != INCOMING  # the gateway's own span is the parent the service sees
    assert TRACE not in fresh
    # A trace the gateway begins leaves the decision to record to the services behind it; a caller's
    # decision not to record is passed on.
    assert fresh.endswith("-01")
    assert declined.startswith(f"00-{TRACE}-")
    assert declined.endswith("-00")
