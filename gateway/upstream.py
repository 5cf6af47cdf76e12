"""The gateway's connection pool to the services: httpx's transport interface over aiohttp's client.

The gateway forwards through an httpx transport (`forward` calls `handle_async_request`; readiness and
the OpenAPI cache use an `httpx.AsyncClient` on it; tests swap in `httpx.MockTransport`), and this one
sends over aiohttp's connection pool and C HTTP parser. httpx's own pool (httpcore) was measured first:
it rescans every pooled connection on every request and again when the answer is read (idle ones once
per other connection, and each with a system call asking whether its socket became readable), which
held the gateway at 0.55-0.71 of direct on the catalogue listing; this transport reached 0.80-0.82 in
the same comparison (README "Performance").

What the gateway relies on, kept here: the request goes out with exactly the headers `forward` built (no
User-Agent, Accept, Accept-Encoding or Content-Type of aiohttp's, no cookie jar) and one framing, the
body's own Content-Length (never the client's Transfer-Encoding beside it); no redirects are followed;
the body comes back as sent (not decompressed); and failures surface as the httpx errors `forward` maps
to 503, 504 and 502. An idle connection the service closed is not reused. An idempotent request whose
connection closes or resets before any answer comes is sent again by aiohttp, and a safe one (GET, HEAD,
OPTIONS) once more after that: a connection opened while a killed service's listener is still closing is
accepted and then reset too, and only the next attempt learns that the service is not there (503).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import httpx


def _failure(exc: BaseException) -> httpx.TransportError:
    """aiohttp's error as the httpx error the gateway handles."""
    if isinstance(exc, aiohttp.ConnectionTimeoutError):  # no connection in time (pool wait included)
        return httpx.ConnectTimeout(str(exc))
    if isinstance(exc, aiohttp.ClientConnectorError):  # refused, unreachable: nothing was sent
        return httpx.ConnectError(str(exc))
    if isinstance(exc, asyncio.TimeoutError):  # aiohttp.SocketTimeoutError: no answer in time
        return httpx.ReadTimeout(str(exc) or "no answer in time")
    if isinstance(exc, aiohttp.ClientPayloadError | aiohttp.ClientOSError):
        return httpx.ReadError(str(exc))
    return httpx.RemoteProtocolError(str(exc))  # disconnected, malformed answer


_FAILURES = (aiohttp.ClientError, asyncio.TimeoutError)
# Methods that change nothing: sent again when their connection broke with no answer on it.
_SAFE = frozenset({"GET", "HEAD", "OPTIONS"})


def _broken(exc: BaseException) -> bool:
    """The connection closed or was reset after the request went out (not: refused, or too slow)."""
    if isinstance(exc, aiohttp.ClientConnectorError):
        return False
    return isinstance(exc, aiohttp.ServerDisconnectedError | aiohttp.ClientOSError)


# Headers that say how a body is delimited: set by aiohttp for the body it sends, never copied.
_FRAMING = frozenset({b"content-length", b"transfer-encoding"})


class _Body(httpx.AsyncByteStream):
    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self._response = response

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._response.content.iter_any():
                yield chunk
        except _FAILURES as exc:
            raise _failure(exc) from exc

    async def aclose(self) -> None:
        # Read to the end: back to the pool; not read to the end: closed (its rest would come next).
        self._response.release()


class UpstreamTransport(httpx.AsyncBaseTransport):
    """Plain HTTP/1.1 to the services; `limits.max_connections` bounds the pool (aiohttp keeps idle
    connections up to that bound, for `limits.keepalive_expiry`)."""

    def __init__(self, limits: httpx.Limits) -> None:
        self._limits = limits
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        # Made on first use: an aiohttp session belongs to the event loop that runs it.
        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(
                    limit=self._limits.max_connections or 0,
                    limit_per_host=0,
                    keepalive_timeout=self._limits.keepalive_expiry or 5.0,
                ),
                cookie_jar=aiohttp.DummyCookieJar(),
                auto_decompress=False,
                # Only the headers `forward` built: no client identity, no content type of aiohttp's guess.
                skip_auto_headers=("User-Agent", "Accept", "Accept-Encoding", "Content-Type"),
                trust_env=False,
            )
        return self._session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        timeout: dict[str, Any] = request.extensions.get("timeout", {})
        connect, pool = timeout.get("connect"), timeout.get("pool")
        phases: list[float | None] = [timeout.get(phase) for phase in ("pool", "connect", "write", "read")]
        # aiohttp has no write timeout: sending the request and waiting for the answer to start are bounded
        # together by the sum of the four (reading a long answer afterwards only by the read timeout).
        until_answer = sum(phase for phase in phases if phase is not None) if None not in phases else None
        # Read whole before anything is sent: a body over the gateway's limit is refused (413) by the
        # reading, not halfway through sending it (the service's bodies are JSON documents).
        body = b"".join([part async for part in request.stream])  # type: ignore[union-attr]
        # One framing, the body's own: aiohttp sends the bytes with their Content-Length. The framing the
        # client used (httpx marks a streamed body `Transfer-Encoding: chunked`) is not passed on beside
        # it: a service reading both would take part of the body for a second request.
        headers = [
            (k.decode("latin-1"), v.decode("latin-1"))
            for k, v in request.headers.raw
            if k.lower() not in _FRAMING
        ]
        # A safe request whose connection broke before any answer came (the service died under it) goes
        # once more: the answer is then the service's, or that it is not there (503), not a 502.
        attempts = 2 if request.method in _SAFE else 1
        for attempt in range(1, attempts + 1):
            try:
                async with asyncio.timeout(until_answer):
                    response = await self._client().request(
                        request.method,
                        str(request.url),
                        headers=headers,
                        data=body or None,
                        allow_redirects=False,
                        timeout=aiohttp.ClientTimeout(
                            total=None,
                            connect=None if connect is None or pool is None else connect + pool,
                            sock_connect=connect,
                            sock_read=timeout.get("read"),
                        ),
                    )
                break
            except _FAILURES as exc:
                if attempt < attempts and _broken(exc):
                    continue
                raise _failure(exc) from exc
        return httpx.Response(
            status_code=response.status,
            headers=list(response.raw_headers),
            stream=_Body(response),
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": (response.reason or "").encode()},
        )

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
