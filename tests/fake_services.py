"""The three services played by loopback HTTP servers that answer as a test says, for the gateway.

Each service gets a server of its own (aiohttp's), so the gateway reaches it over a real connection
through its real client stack. A handler takes the request as the service received it (an
`httpx.Request`: method, raw target, headers byte for byte, body read, `extensions["service"]`) and
returns an `httpx.Response`, or raises `Hangup` to close the connection without answering.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import httpx
from aiohttp import web
from multidict import CIMultiDict

from devtools.stack import serving
from gateway.settings import SERVICE_NAMES

Handler = Callable[[httpx.Request], httpx.Response | Awaitable[httpx.Response]]

# Set by aiohttp for the body it writes; a handler's own would appear twice.
_FRAMING = frozenset({"content-length", "transfer-encoding"})


class Hangup(Exception):
    """Raised by a handler: the service closes the connection with no answer (it died under the request)."""


def _as_received(service: str, request: web.Request, body: bytes) -> httpx.Request:
    received = httpx.Request(
        request.method,
        f"http://{request.host}{request.raw_path}",
        headers=list(request.raw_headers),
        stream=httpx.ByteStream(body),
        extensions={"service": service},
    )
    received.read()
    return received


@asynccontextmanager
async def fake_services(handler: Handler) -> AsyncIterator[dict[str, Any]]:
    """Yields the gateway settings that point at the servers (`catalog_url`, ...)."""
    async with AsyncExitStack() as servers:
        urls: dict[str, Any] = {}
        for service in SERVICE_NAMES:

            async def answer(request: web.Request, service: str = service) -> web.StreamResponse:
                received = _as_received(service, request, await request.read())
                try:
                    outcome = handler(received)
                    response = await outcome if inspect.isawaitable(outcome) else outcome
                except Hangup:
                    assert request.transport is not None
                    request.transport.abort()
                    raise
                headers = CIMultiDict(
                    (k.decode("latin-1"), v.decode("latin-1"))
                    for k, v in response.headers.raw
                    if k.decode("latin-1").lower() not in _FRAMING
                )
                return web.Response(status=response.status_code, body=await response.aread(), headers=headers)

            app = web.Application(client_max_size=64 * 2**20)
            app.router.add_route("*", "/{tail:.*}", answer)
            urls[f"{service}_url"] = await servers.enter_async_context(serving(app))
        yield urls
