"""A test topic, a handler that records what it handled, and helpers to drive delivery."""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import ClassVar

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.kernel.eventbus import Event, EventPayload, Subscription, publish
from services.kernel.eventbus.consumer import DeliveryPolicy, Outcome, PassResult, run_pass

FAST = DeliveryPolicy(batch_size=50, max_attempts=3, retry_base_seconds=0.01, retry_max_seconds=0.05)


class Ping(EventPayload):
    topic: ClassVar[str] = "test.ping"
    aggregate_type: ClassVar[str] = "ping"

    n: int


@dataclass
class Recorder:
    """Handler that writes a row per event (n counts deliveries) and may fail on chosen values of n."""

    fail_times: int = 0
    fail_on: set[int] = field(default_factory=set)
    calls: Counter[uuid.UUID] = field(default_factory=Counter)

    async def __call__(self, session: AsyncSession, event: Event) -> None:
        self.calls[event.event_id] += 1
        await session.execute(
            text(
                "INSERT INTO bus_test.handled (event_id, topic) VALUES (:id, :topic) "
                "ON CONFLICT (event_id) DO UPDATE SET n = bus_test.handled.n + 1"
            ),
            {"id": event.event_id, "topic": event.topic},
        )
        if event.payload["n"] in self.fail_on or self.calls[event.event_id] <= self.fail_times:
            raise RuntimeError(f"boom on {event.payload['n']}")

    def subscription(self, name: str = "test.recorder") -> Subscription:
        return Subscription(name=name, topics=(Ping.topic,), handler=self)


async def publish_pings(sessionmaker: async_sessionmaker[AsyncSession], *numbers: int) -> list[uuid.UUID]:
    """Publish one event per number, all in one committed transaction."""
    async with sessionmaker() as session, session.begin():
        return [await publish(session, Ping(n=n), source="tests", aggregate_id=str(n)) for n in numbers]


async def register(sessionmaker: async_sessionmaker[AsyncSession], subscription: Subscription) -> None:
    from services.kernel.eventbus import repository

    async with sessionmaker() as session, session.begin():
        await repository.register(session, subscription.name, subscription.topics)


async def handled(sessionmaker: async_sessionmaker[AsyncSession]) -> dict[uuid.UUID, int]:
    """event_id -> how many times its effects were committed."""
    async with sessionmaker() as session:
        rows = await session.execute(text("SELECT event_id, n FROM bus_test.handled ORDER BY handled_seq"))
        return {row.event_id: row.n for row in rows}


async def handled_order(sessionmaker: async_sessionmaker[AsyncSession]) -> list[uuid.UUID]:
    return list(await handled(sessionmaker))


async def drain(
    sessionmaker: async_sessionmaker[AsyncSession],
    subscription: Subscription,
    policy: DeliveryPolicy = FAST,
    *,
    max_passes: int = 200,
) -> list[PassResult]:
    """Run passes until the subscription is idle (sleeping through scheduled retries)."""
    import asyncio

    results = []
    for _ in range(max_passes):
        result = await run_pass(sessionmaker, subscription, policy)
        results.append(result)
        if result.outcome is Outcome.idle:
            return results
        if result.delay:
            await asyncio.sleep(result.delay)
    raise AssertionError(f"not idle after {max_passes} passes: {results[-3:]}")
