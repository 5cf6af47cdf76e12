"""What the gateway's checks cost per request: the same forwarded GET with the protections on (rate
limits, size checks, breaker, security headers, metrics) and with the rate limits off, in one run.

    .venv/bin/python -m bench.gateway_protection

The gateway runs in-process (ASGI) in front of a loopback server that answers at once, so the two runs
differ only in the gateway's own work: a ratio, not a throughput claim.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from aiohttp import web
from asgi_lifespan import LifespanManager

from devtools import devkeys
from devtools.stack import serving
from gateway.app import create_app
from gateway.settings import GatewaySettings

REQUESTS = 2000


async def measure(settings: GatewaySettings, token: str) -> float:
    async def ok(request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    service = web.Application()
    service.router.add_get("/{tail:.*}", ok)
    async with serving(service) as url:
        return await _measure(settings.model_copy(update={"catalog_url": url}), token)


async def _measure(settings: GatewaySettings, token: str) -> float:
    app = create_app(settings)
    async with LifespanManager(app) as manager:
        asgi = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=asgi, base_url="http://bench") as client:
            headers = {"Authorization": f"Bearer {token}"}
            for _ in range(100):
                await client.get("/api/v1/catalog/offerings", headers=headers)
            started = time.perf_counter()
            for _ in range(REQUESTS):
                response = await client.get("/api/v1/catalog/offerings", headers=headers)
                assert response.status_code == 200
            return (time.perf_counter() - started) / REQUESTS


async def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        keys = devkeys.ensure_dev_keys(Path(scratch))
        auth: dict[str, Any] = {
            "app_env": "test",
            "oidc_issuer": devkeys.DEV_ISSUER,
            "oidc_audience": devkeys.DEV_AUDIENCE,
            "oidc_jwks_url": (keys / "jwks.json").as_uri(),
            "log_format": "text",
            "log_level": "WARNING",
        }
        token = devkeys.mint_token(oid="bench", roles=["coordinator"], directory=keys)
        limits_off = GatewaySettings(
            **auth, rate_limit_address_per_second=0, rate_limit_principal_per_second=0
        )
        limits_on = GatewaySettings(
            **auth,
            rate_limit_address_per_second=1e6,
            rate_limit_principal_per_second=1e6,
            rate_limit_principal_burst=10**6,
        )
        rounds = [(await measure(limits_off, token), await measure(limits_on, token)) for _ in range(3)]
    off = statistics.median(r[0] for r in rounds)
    on = statistics.median(r[1] for r in rounds)
    print(
        f"per forwarded request: rate limits off {off * 1e6:.0f} µs, "
        f"on {on * 1e6:.0f} µs, ratio {on / off:.2f}"
    )


if __name__ == "__main__":
    asyncio.run(main())
