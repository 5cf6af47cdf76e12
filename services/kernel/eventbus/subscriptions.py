"""A subscription: a named consumer position over a set of topics, and the handler it feeds."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from services.kernel.eventbus.envelope import Event

# A handler writes through the session it is given; its writes commit with the subscription's new position.
Handler = Callable[[AsyncSession, Event], Awaitable[None]]


@dataclass(frozen=True)
class Subscription:
    name: str  # e.g. "feedback.participants": owning service, then purpose
    topics: tuple[str, ...]
    handler: Handler
