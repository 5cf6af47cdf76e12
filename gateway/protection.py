"""What the gateway checks around forwarding: who the client is, sizes, rates, and upstream health.

- **Client address**: the connecting peer, unless the peer is a configured trusted proxy
  (`GATEWAY_TRUSTED_PROXIES`); then the nearest address in `X-Forwarded-For` that is not itself a
  trusted proxy. A client cannot claim another address by sending the header itself.
- **Sizes**: a body larger than its route's limit is refused with 413, from `Content-Length` before
  anything is forwarded, or while streaming when the body comes in chunks; request headers above
  `GATEWAY_MAX_HEADER_BYTES` together get 431.
- **Rates**: token buckets per client address (before the token is even checked) and per principal
  (after), answering 429 with `Retry-After`. Kept in memory **per replica**: with n replicas behind a
  load balancer a client gets up to n times the rate; set the limits with that in mind.
- **Upstream health**: a circuit breaker per upstream opens after `GATEWAY_BREAKER_FAILURES` failures
  in a row (refused or timed-out connections, 502/504 answers, and 503 answers without `Retry-After`: a
  service's own 503 with `Retry-After` is an answer, not an absence) and answers 503 with `Retry-After`
  for `GATEWAY_BREAKER_OPEN_SECONDS` (half a second); then one request is let through to probe, its
  success closes the breaker and its failure opens it again. So an upstream that died is asked once per
  interval, not by every request, and gets traffic again within an interval of coming back. Requests are
  retried only when the connection was refused (nothing was sent) and the request is idempotent (GET,
  HEAD, OPTIONS, PUT, DELETE) or carries an `Idempotency-Key`.
"""

from __future__ import annotations

import ipaddress
import math
from collections import OrderedDict
from collections.abc import AsyncIterator, Iterable

from starlette.requests import Request

from services.kernel import clock
from services.kernel.limits import PayloadTooLarge
from services.kernel.problems import Problem, ServiceUnavailable

IdNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


class TooManyRequests(Problem):
    status = 429
    slug = "rate-limited"
    title = "Too many requests"


class CircuitOpen(ServiceUnavailable):
    slug = "upstream-circuit-open"
    title = "Service temporarily unavailable"


def retry_after(seconds: float) -> dict[str, str]:
    return {"Retry-After": str(max(1, math.ceil(seconds)))}


# --- client address --------------------------------------------------------------------------------------


def networks(entries: Iterable[str]) -> list[IdNetwork]:
    return [ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry.strip()]


def is_in(address: str, trusted: list[IdNetwork]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)


def client_address(request: Request, trusted: list[IdNetwork]) -> str:
    peer = request.client.host if request.client else "unknown"
    if not is_in(peer, trusted):
        return peer
    chain = [a.strip() for value in request.headers.getlist("x-forwarded-for") for a in value.split(",")]
    for address in reversed([a for a in chain if a]):
        if is_in(address, trusted):
            continue
        try:
            return str(ipaddress.ip_address(address))
        except ValueError:
            break  # a malformed hop: believe nothing beyond the last trusted proxy
    return peer


# --- sizes -----------------------------------------------------------------------------------------------


async def limited(stream: AsyncIterator[bytes], limit: int) -> AsyncIterator[bytes]:
    """The body, refused with 413 as soon as it grows past `limit` (for bodies sent in chunks)."""
    seen = 0
    async for chunk in stream:
        seen += len(chunk)
        if seen > limit:
            raise PayloadTooLarge(f"The body is larger than the {limit} bytes accepted here.")
        yield chunk


# --- rates -----------------------------------------------------------------------------------------------


class TokenBuckets:
    """`rate` requests per second per key, bursts up to `burst`; idle keys are forgotten past `max_keys`."""

    def __init__(self, rate: float, burst: int, max_keys: int = 100_000) -> None:
        self.rate = rate
        self.burst = burst
        self.max_keys = max_keys
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def take(self, key: str, now: float | None = None) -> float | None:
        """None when the request may pass; otherwise the seconds until it would."""
        if self.rate <= 0:
            return None
        now = clock.monotonic() if now is None else now
        tokens, updated = self._buckets.pop(key, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - updated) * self.rate)
        wait = None
        if tokens >= 1:
            tokens -= 1
        else:
            wait = (1 - tokens) / self.rate
        self._buckets[key] = (tokens, now)
        while len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
        return wait


# --- upstream health -------------------------------------------------------------------------------------


class Breaker:
    """Closed → open after `threshold` failures in a row → half-open (one probe) after `open_seconds`."""

    def __init__(self, threshold: int, open_seconds: float) -> None:
        self.threshold = threshold
        self.open_seconds = open_seconds
        self.failures = 0
        self.opened_at: float | None = None
        self.probing = False

    @property
    def state(self) -> str:
        if self.opened_at is None:
            return "closed"
        return "half-open" if self.probing else "open"

    def check(self, now: float | None = None) -> float | None:
        """None when a request may go upstream; otherwise the seconds to wait."""
        if self.opened_at is None:
            return None
        now = clock.monotonic() if now is None else now
        remaining = self.opened_at + self.open_seconds - now
        if remaining > 0:
            return remaining
        if self.probing:
            return 1.0  # one probe at a time
        self.probing = True
        return None

    def succeeded(self) -> None:
        self.failures = 0
        self.opened_at = None
        self.probing = False

    def failed(self, now: float | None = None) -> None:
        self.failures += 1
        if self.probing or self.failures >= self.threshold:
            self.opened_at = clock.monotonic() if now is None else now
        self.probing = False
