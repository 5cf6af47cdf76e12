"""A subscription: a named consumer position over a set of topics, and the handler it feeds."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from services.kernel.eventbus.envelope import Event

# A handler writes through the session it is given; its writes commit with the subscription's new position.
Handler = Callable[[AsyncSession, Event], Awaitable[None]]
# Takes, before any handler of a pass runs, every lock the pass's handlers will take.
BatchLock = Callable[[AsyncSession, list[Event]], Awaitable[None]]
# Handles all of a pass's events at once, with the same effect as `Handler` on each in order.
BatchHandler = Callable[[AsyncSession, list[Event]], Awaitable[None]]


@dataclass(frozen=True)
class Subscription:
    name: str  # e.g. "feedback.participants": owning service, then purpose
    topics: tuple[str, ...]
    handler: Handler
    # Optional: the whole pass in a few set-based statements instead of a statement or more per event
    # (a rush of enrollments publishes hundreds of seat counts a second, most superseded within the pass).
    # It must leave what `handler` on each event in order would; if it fails, the pass falls back to
    # `handler`, one event at a time, which finds the failing event and its error.
    handle_many: BatchHandler | None = None
    # Events per transaction; None: the runtime's policy. A pass's transaction holds a transaction id
    # from its first write until it commits, and every consumer on the cluster waits behind it (the
    # ordering fence), so a handler that writes and then does slow outside work (a mail server) takes
    # one event per transaction instead of a hundred.
    batch_size: int | None = None
    # For handlers that lock rows requests lock too: a pass holds every lock its handlers took until it
    # commits, so handlers locking one event's rows after another's would take them in event order, not
    # in the service's lock order, and could deadlock with a request. `lock` takes them all first, in
    # that order; the handlers then find them held.
    lock: BatchLock | None = None
    # Work that can wait while requests are served (mail): before each pass the worker waits until no
    # request is in flight in this process, or `yield_seconds` at most (services.kernel.load).
    yields_to_requests: bool = False
    yield_seconds: float = 1.0
