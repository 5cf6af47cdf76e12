"""The gateway's connection pool to the services, on aiohttp's client: one HTTP stack for forwarding,
readiness and the OpenAPI cache, whose failures become the gateway's own four kinds below.

aiohttp, not httpx: httpx's pool (httpcore) rescans every pooled connection on every request and again
when the answer is read, which kept the gateway well below the target share of direct throughput on the
catalogue listing (bench/README.md); aiohttp's pool and C parser do not.

What the gateway relies on, kept here: a request goes out with exactly the headers `forward` built (no
User-Agent, Accept, Accept-Encoding or Content-Type of aiohttp's, no cookie jar) and one framing, the
body's own Content-Length; no redirects are followed; the answer comes back as sent (not decompressed).
An idle connection the service closed is not reused. An idempotent request whose connection closes or
resets before any answer comes is sent again by aiohttp, and a safe one (GET, HEAD, OPTIONS) once more
after that: a connection opened while a killed service's listener is still closing is accepted and then
reset too, and only the next attempt learns that the service is not there (503).
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
from opentelemetry import trace
from opentelemetry.instrumentation.aiohttp_client import create_trace_config
from prometheus_client import Counter
from yarl import URL

from services.kernel import telemetry

RETRIES = Counter(
    "gateway_upstream_retries_total",
    "Requests the gateway sent to a service again: its connection was refused, or broke with no answer.",
    ["upstream"],
)


@dataclass(frozen=True)
class Timeouts:
    """Seconds allowed to get a pooled connection, to connect, to send the request and to read each part
    of the answer."""

    connect: float
    read: float
    write: float
    pool: float

    def until_answer(self) -> float:
        # aiohttp has no write timeout: sending the request and waiting for the answer to start are bounded
        # together by the sum of the four (reading a long answer afterwards only by the read timeout).
        return self.pool + self.connect + self.write + self.read

    def for_aiohttp(self) -> aiohttp.ClientTimeout:
        return aiohttp.ClientTimeout(
            total=None, connect=self.connect + self.pool, sock_connect=self.connect, sock_read=self.read
        )


class UpstreamFailure(Exception):
    """A service did not answer; the subclass says how."""


class Unreachable(UpstreamFailure):
    """No connection: refused or unreachable (nothing was sent, so any request may be sent again)."""


class ConnectTimedOut(UpstreamFailure):
    """No connection in time (waiting for a pooled one included)."""


class TimedOut(UpstreamFailure):
    """Connected, but no answer (or no next part of it) in time."""


class Broken(UpstreamFailure):
    """The connection closed or reset, or the answer was not HTTP."""


def _failure(exc: BaseException) -> UpstreamFailure:
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return ConnectTimedOut(str(exc))
    if isinstance(exc, aiohttp.ClientConnectorError):
        return Unreachable(str(exc))
    if isinstance(exc, asyncio.TimeoutError):  # aiohttp.SocketTimeoutError too
        return TimedOut(str(exc) or "no answer in time")
    return Broken(str(exc) or type(exc).__name__)


_FAILURES = (aiohttp.ClientError, asyncio.TimeoutError)
# Methods that change nothing: sent again when their connection broke with no answer on it.
_SAFE = frozenset({"GET", "HEAD", "OPTIONS"})


def _broken(exc: BaseException) -> bool:
    """The connection closed or was reset after the request went out (not: refused, or too slow)."""
    if isinstance(exc, aiohttp.ClientConnectorError):
        return False
    return isinstance(exc, aiohttp.ServerDisconnectedError | aiohttp.ClientOSError)


def _payload(body: bytes | None) -> bytes | io.BytesIO | None:
    # aiohttp writes a large bytes body in one call and warns that it may hold the event loop; from a
    # file-like object it writes in parts. Both carry their Content-Length.
    if body and len(body) > aiohttp.payload.TOO_LARGE_BYTES_BODY:
        return io.BytesIO(body)
    return body or None


class Upstreams:
    """Plain HTTP/1.1 to the services over at most `max_connections` connections, idle ones kept for
    `keepalive_seconds`. Made on first use: an aiohttp session belongs to the event loop that runs it."""

    def __init__(self, max_connections: int, keepalive_seconds: float) -> None:
        self._max_connections = max_connections
        self._keepalive_seconds = keepalive_seconds
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(
                    limit=self._max_connections, limit_per_host=0, keepalive_timeout=self._keepalive_seconds
                ),
                cookie_jar=aiohttp.DummyCookieJar(),
                # While spans are recorded: a span per call, whose `traceparent` replaces the one `forward`
                # set from the request's own context.
                trace_configs=[create_trace_config(tracer_provider=trace.get_tracer_provider())]
                if telemetry.recording()
                else None,
                auto_decompress=False,
                # Only the headers `forward` built: no client identity, no content type of aiohttp's guess.
                skip_auto_headers=("User-Agent", "Accept", "Accept-Encoding", "Content-Type"),
                trust_env=False,
            )
        return self._session

    async def send(
        self,
        method: str,
        url: URL,
        headers: list[tuple[str, str]],
        body: bytes | None,
        timeouts: Timeouts,
        *,
        upstream: str,
    ) -> aiohttp.ClientResponse:
        """The answer's head, its body still to read (`chunks`, then `release`). `headers` must carry no
        framing: aiohttp frames `body` with its own Content-Length."""
        # A safe request whose connection broke before any answer came (the service died under it) goes
        # once more: the answer is then the service's, or that it is not there (503), not a 502.
        again = method in _SAFE
        while True:
            try:
                async with asyncio.timeout(timeouts.until_answer()):
                    return await self._client().request(
                        method,
                        url,
                        headers=headers,
                        data=_payload(body),
                        allow_redirects=False,
                        timeout=timeouts.for_aiohttp(),
                    )
            except _FAILURES as exc:
                if not (again and _broken(exc)):
                    raise _failure(exc) from exc
                again = False
                RETRIES.labels(upstream).inc()

    async def get(self, url: str, seconds: float, *, upstream: str) -> tuple[int, bytes]:
        """A whole answer to a GET (readiness, OpenAPI documents), each phase within `seconds`: its
        status and body."""
        timeouts = Timeouts(connect=seconds, read=seconds, write=seconds, pool=seconds)
        response = await self.send("GET", URL(url), [], None, timeouts, upstream=upstream)
        try:
            return response.status, b"".join([chunk async for chunk in chunks(response)])
        finally:
            response.release()

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()


async def chunks(response: aiohttp.ClientResponse) -> AsyncIterator[bytes]:
    """The answer's body as it arrives, as sent (a broken one raises `UpstreamFailure`)."""
    try:
        async for chunk in response.content.iter_any():
            yield chunk
    except _FAILURES as exc:
        raise _failure(exc) from exc
