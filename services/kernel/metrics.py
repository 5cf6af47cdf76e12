"""Prometheus metrics of every process (`GET /metrics`, text exposition format).

- `http_requests_total{service, method, route, status}` and `http_request_duration_seconds{service,
  method, route}`: `route` is the matched route's template (`/enrollments/{enrollment_id}`), never the
  raw path, so ids do not explode the label set; unmatched requests count as `unmatched`.
- `db_pool_connections{service, state}` (`in_use`, `idle`, `size`), read at scrape time.
- `eventbus_lag_events{service, subscription}` and `eventbus_dead_letters{service, subscription}`, read
  from the database at scrape time; `eventbus_events_handled_total{service, subscription, outcome}`.
- `mails_total{service, outcome}` (`sent`, `refused`, `uncertain`).

One process runs one service, so the metrics live in the process's default registry with a `service`
label. `/metrics` is left out of the OpenAPI document and the gateway never forwards it; in Kubernetes
only the monitoring namespace reaches it (NetworkPolicy), on the gateway it answers only addresses in
`GATEWAY_METRICS_NETWORKS`, and never a request that came through a proxy (`X-Forwarded-For`).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from functools import lru_cache

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.kernel.unlinkable import is_unlinkable

REQUESTS = Counter("http_requests_total", "HTTP requests answered.", ["service", "method", "route", "status"])
LATENCY = Histogram(
    "http_request_duration_seconds",
    "Time to answer an HTTP request (until the response starts).",
    ["service", "method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
POOL = Gauge("db_pool_connections", "Database connections of the pool, by state.", ["service", "state"])
BUS_LAG = Gauge(
    "eventbus_lag_events", "Events a subscription has not handled yet.", ["service", "subscription"]
)
BUS_DEAD = Gauge("eventbus_dead_letters", "Unresolved dead letters.", ["service", "subscription"])
BUS_HANDLED = Counter(
    "eventbus_events_handled_total",
    "Events handled by a subscription.",
    ["service", "subscription", "outcome"],
)
MAILS = Counter("mails_total", "Notification mails by kind and outcome.", ["service", "kind", "outcome"])


# The labelled series, looked up once per label set: `labels()` takes a lock and builds its key on every
# call, a visible share of a request that does little else (bench/README.md). Nothing removes series.
@lru_cache(maxsize=4096)
def _latency(service: str, method: str, route: str) -> Histogram:
    return LATENCY.labels(service, method, route)


@lru_cache(maxsize=4096)
def _requests(service: str, method: str, route: str, status: int) -> Counter:
    return REQUESTS.labels(service, method, route, str(status))


def _route_of(scope: Scope) -> str:
    if "metrics_route" in scope:  # set by a catch-all endpoint that knows better (the gateway's proxy)
        return str(scope["metrics_route"])
    route = scope.get("route")
    path = getattr(route, "path", None)
    return str(path) if path else "unmatched"


class MetricsMiddleware:
    """Pure ASGI (streaming bodies pass untouched): counts and times every HTTP request."""

    def __init__(self, app: ASGIApp, *, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or is_unlinkable(scope):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def observe(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                route = _route_of(scope)
                _latency(self.service, scope["method"], route).observe(time.perf_counter() - started)
            await send(message)

        try:
            await self.app(scope, receive, observe)
        finally:
            _requests(self.service, scope["method"], _route_of(scope), status).inc()


async def metrics_response(refresh: Callable[[], Awaitable[None]] | None = None) -> Response:
    """The exposition, after `refresh` has read what is measured at scrape time."""
    if refresh is not None:
        await refresh()
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


def metrics_endpoint(
    refresh: Callable[[Request], Awaitable[None]] | None = None,
) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        return await metrics_response((lambda: refresh(request)) if refresh else None)

    return endpoint
