"""Forwarding one request to an upstream service and sending the answer back.

Kept small and self-contained on purpose: it is the hot path, measured against a C proxy (nginx) in the
benchmarks. The request body is read whole before anything is sent (so a body over the limit is refused
with 413, not cut off halfway upstream); an answer up to `BUFFER_BYTES` is read whole and sent as one,
a larger or unsized one streams. Hop-by-hop headers are dropped, `X-Forwarded-*` and `X-Request-ID` are
set, and redirects are passed to the client, never followed.
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit, urlunsplit

import aiohttp
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from yarl import URL

from gateway.headers import is_identity_header
from gateway.protection import IDEMPOTENT_METHODS, Breaker, CircuitOpen, limited, retry_after
from gateway.upstream import (
    RETRIES,
    ConnectTimedOut,
    TimedOut,
    Timeouts,
    Unreachable,
    UpstreamFailure,
    Upstreams,
    chunks,
)
from services.kernel.problems import GatewayTimeout, Problem, ServiceUnavailable
from services.kernel.requestid import current_request_id
from services.kernel.telemetry import current_traceparent

# RFC 9110 §7.6.1, plus headers the client library recomputes for the new connection.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
    }
)
# Set by this gateway only; values a client sends are dropped, never trusted.
GATEWAY_OWNED = frozenset(
    {
        "x-forwarded-for",
        "x-forwarded-proto",
        "x-forwarded-host",
        "x-forwarded-prefix",
        "forwarded",
        "x-request-id",
        "traceparent",
    }
)


class BadGateway(Problem):
    status = 502
    slug = "bad-gateway"
    title = "Bad gateway"


def _connection_listed(headers: list[tuple[str, str]]) -> set[str]:
    listed: set[str] = set()
    for name, value in headers:
        if name == "connection":
            listed.update(token.strip().lower() for token in value.split(",") if token.strip())
    return listed


class InvalidHeader(Problem):
    status = 400
    slug = "invalid-header"
    title = "Header value cannot be forwarded"


def _text(name: str, value: bytes) -> str:
    """A header value as the client library writes it back: UTF-8, so the bytes the service gets are the
    bytes the client sent. A value outside ASCII that is not UTF-8 (HTTP's obsolete latin-1 text) would
    reach the service changed, so it is refused instead."""
    try:
        return value.decode()
    except UnicodeDecodeError:
        raise InvalidHeader(f"The {name} header is neither ASCII nor UTF-8 text.") from None


# What an unlinkable request (an anonymous ballot) takes upstream: how its body is written and what it
# accepts back, nothing about the client (address, agent, language, request id, trace). The client
# library sets the length of the body it sends.
UNLINKABLE_HEADERS = frozenset({"content-type", "accept"})


def request_headers(
    request: Request, prefix: str, client: str | None = None, *, unlinkable: bool = False
) -> list[tuple[str, str]]:
    """The headers to send upstream. `client` is the client's address as the gateway established it (see
    `protection.client_address`); identity headers are never passed on."""
    raw = [(k.decode("latin-1").lower(), v) for k, v in request.headers.raw]
    if unlinkable:
        return [(k, _text(k, v)) for k, v in raw if k in UNLINKABLE_HEADERS]
    listed = _connection_listed([(k, v.decode("latin-1")) for k, v in raw if k == "connection"])
    drop = HOP_BY_HOP | GATEWAY_OWNED | listed
    headers = [(k, _text(k, v)) for k, v in raw if k not in drop and not is_identity_header(k)]
    client = client or (request.client.host if request.client else "unknown")
    headers += [
        ("x-forwarded-for", client),
        ("x-forwarded-proto", request.url.scheme),
        ("x-forwarded-host", request.headers.get("host", "")),
        ("x-forwarded-prefix", prefix),
        ("x-request-id", current_request_id() or ""),
    ]
    if (traceparent := current_traceparent()) is not None:
        headers.append(("traceparent", traceparent))
    return headers


def response_headers(
    upstream: aiohttp.ClientResponse, upstream_url: str, prefix: str
) -> list[tuple[str, str]]:
    """The upstream's response headers for the client. A `Location` or `Content-Location` that names the
    upstream itself becomes the public path under `prefix`: no answer tells a client where a service lives."""
    raw = [(k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in upstream.raw_headers]
    # Date and Server come from the gateway's own server; the upstream's would make each header appear twice.
    drop = HOP_BY_HOP | _connection_listed(raw) | {"x-request-id", "date", "server"}
    return [
        (k, _public_location(v, upstream_url, prefix) if k in _LOCATIONS else v)
        for k, v in raw
        if k not in drop
    ]


_LOCATIONS = frozenset({"location", "content-location"})


def _public_location(value: str, upstream_url: str, prefix: str) -> str:
    """`http://10.0.3.7:8001/offerings?x=1` (the upstream) -> `/api/v1/catalog/offerings?x=1`; a path the
    service wrote relative to itself (`/offerings/1`) gets the prefix too; anything else is left alone."""
    upstream = urlsplit(upstream_url)
    target = urlsplit(value)
    if target.scheme or target.netloc:
        if (target.scheme, target.netloc) != (upstream.scheme, upstream.netloc):
            return value
    elif not target.path.startswith("/"):
        return value  # relative to the request's own path, which already carries the prefix
    path = target.path[len(upstream.path.rstrip("/")) :] if upstream.path.strip("/") else target.path
    return urlunsplit(("", "", prefix + path, target.query, target.fragment))


class InvalidTarget(Problem):
    status = 400
    slug = "invalid-url"
    title = "Invalid request target"


# What a request target may hold (RFC 9112 §3.2, origin form): visible ASCII, no fragment.
_TARGET_BYTES = frozenset(range(0x21, 0x7F)) - {ord("#")}


def upstream_target(request: Request, upstream_url: str, prefix: str) -> URL:
    """The upstream URL: the request's path after `prefix`, byte for byte as the client sent it.

    The raw (still percent-encoded) path is used, never the decoded one: decoding and re-encoding would
    change what the service sees, and a decoded control character is not a valid URL at all.
    """
    raw_path: bytes = request.scope.get("raw_path") or request.url.path.encode()
    tail = raw_path[len(prefix) :] if raw_path.startswith(prefix.encode()) else raw_path
    query: bytes = request.scope.get("query_string", b"")
    target = (tail or b"/") + (b"?" + query if query else b"")
    if not set(target) <= _TARGET_BYTES:
        raise InvalidTarget("The request path or query cannot be forwarded.")
    return URL(upstream_url.rstrip("/") + target.decode("ascii"), encoded=True)


async def forward(
    upstreams: Upstreams,
    request: Request,
    *,
    upstream_url: str,
    prefix: str,
    service: str,
    client_ip: str | None = None,
    unlinkable: bool = False,
    body_limit: int | None = None,
    breaker: Breaker | None = None,
    retries: int = 0,
    timeouts: Timeouts,
) -> Response:
    """Send `request` to the upstream below `prefix` and send the upstream's answer back (see
    `protection.py` for the breaker, the body limit and when a request is retried)."""
    if breaker is not None and (wait := breaker.check()) is not None:
        raise CircuitOpen(
            f"The {service} service has been failing; the gateway tries it again shortly.",
            headers=retry_after(wait),
        )
    has_body = (
        request.method not in {"GET", "HEAD", "OPTIONS", "DELETE"} or "content-length" in request.headers
    )
    target = upstream_target(request, upstream_url, prefix)
    headers = request_headers(request, prefix, client_ip, unlinkable=unlinkable)
    body = None
    if has_body:
        stream = limited(request.stream(), body_limit) if body_limit is not None else request.stream()
        body = b"".join([chunk async for chunk in stream])
    eligible = request.method in IDEMPOTENT_METHODS or "idempotency-key" in request.headers
    attempts = 1 + (retries if eligible else 0)
    for attempt in range(attempts):
        try:
            upstream = await upstreams.send(request.method, target, headers, body, timeouts, upstream=service)
            break
        except Unreachable as exc:
            # Refused before anything was sent: safe to try again for a request that may be repeated.
            if attempt + 1 < attempts:
                RETRIES.labels(service).inc()
                await asyncio.sleep(0.05 * 2**attempt)
                continue
            raise _failure(exc, service, breaker) from exc
        except UpstreamFailure as exc:
            raise _failure(exc, service, breaker) from exc
    if breaker is not None:
        if _unhealthy(upstream):
            breaker.failed()
        else:
            breaker.succeeded()
    response: Response
    if upstream.content_length is not None and upstream.content_length <= BUFFER_BYTES:
        # A small answer (most of them) is read whole and sent as one: a streamed response costs a task
        # group and a disconnect listener per request, a large share of the forwarding time on the listing.
        try:
            content = b"".join([chunk async for chunk in chunks(upstream)])
        except UpstreamFailure as exc:
            raise _failure(exc, service, breaker) from exc
        finally:
            upstream.release()
        response = Response(content, status_code=upstream.status)
    else:
        response = StreamingResponse(
            chunks(upstream), status_code=upstream.status, background=BackgroundTask(upstream.release)
        )
    # Raw list, not a mapping: repeated headers (Set-Cookie, Vary, ...) pass through as sent.
    response.raw_headers = [
        (name.encode("latin-1"), value.encode("latin-1"))
        for name, value in response_headers(upstream, upstream_url, prefix)
    ]
    return response


UNHEALTHY = frozenset({502, 503, 504})


def _unhealthy(upstream: aiohttp.ClientResponse) -> bool:
    """An answer that says the upstream is not there. A 503 with `Retry-After` is the service itself
    answering, quickly, that something behind it is (its database restarting): it is passed on as it is
    and does not count against the breaker, so requests keep reaching the service and succeed the moment
    it can serve them again."""
    if upstream.status == 503 and "retry-after" in upstream.headers:
        return False
    return upstream.status in UNHEALTHY


# Answers up to this size (by their Content-Length) are buffered; larger or unsized ones stream.
BUFFER_BYTES = 256 * 1024


def _failure(exc: UpstreamFailure, service: str, breaker: Breaker | None) -> Problem:
    """The problem to answer for an upstream that failed, counted against its breaker: refused or not
    connected in time 503, too slow to answer 504, anything else (a reset, a malformed answer) 502."""
    _failed(breaker)
    if isinstance(exc, Unreachable | ConnectTimedOut):
        return ServiceUnavailable(f"The {service} service is unavailable.")
    if isinstance(exc, TimedOut):
        return GatewayTimeout(f"The {service} service did not answer in time.")
    return BadGateway(f"The {service} service sent an invalid response or broke off its answer.")


def _failed(breaker: Breaker | None) -> None:
    if breaker is not None:
        breaker.failed()
