"""The time the rules see: sessions starting, enrolment windows and cancellation deadlines, surveys
closing, token expiry, the gateway's circuit breaker and the sweeps that act on them.

Application code asks this module for the time (`now()`, `timestamp()`, `monotonic()`), never the
system clock directly, so a test moves time forward instead of waiting for it (`advance`). Production
runs on the system clock, unshifted. Columns the database stamps itself (`created_at DEFAULT now()`,
the idempotency leases) are records and locks, not rules, and keep the database's time.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime


class Clock:
    """The system clock, shifted by `offset` seconds (0 outside tests)."""

    def __init__(self) -> None:
        self.offset = 0.0

    def now(self) -> datetime:
        return datetime.fromtimestamp(time.time() + self.offset, UTC)

    def timestamp(self) -> float:
        return time.time() + self.offset

    def monotonic(self) -> float:
        return time.monotonic() + self.offset


_CLOCK = Clock()


def now() -> datetime:
    """The current time, timezone-aware (UTC)."""
    return _CLOCK.now()


def timestamp() -> float:
    """Seconds since the epoch, as `time.time()`."""
    return _CLOCK.timestamp()


def monotonic() -> float:
    """For intervals, as `time.monotonic()`."""
    return _CLOCK.monotonic()


def advance(seconds: float) -> None:
    """Move the clock forward (tests only: time passes without waiting for it)."""
    _CLOCK.offset += seconds


def reset() -> None:
    """Back to the system clock (tests, after `advance`)."""
    _CLOCK.offset = 0.0
