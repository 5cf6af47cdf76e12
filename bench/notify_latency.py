"""How long from a publishing commit to the handler's commit, woken by NOTIFY, beside the polling interval.

    .venv/bin/python -m bench.notify_latency postgresql://postgres@127.0.0.1:5432/bench   # an empty database

Publishes events one at a time to a running EventBusRuntime (default polling interval) and prints the
median, p95 and max latency, and the median as a share of the polling interval.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
import uuid
from typing import ClassVar

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.cli import migrate_all
from services.kernel import database
from services.kernel.eventbus import Event, EventPayload, Subscription, publish
from services.kernel.eventbus.consumer import DeliveryPolicy
from services.kernel.eventbus.runtime import EventBusRuntime
from services.kernel.settings import ServiceSettings

COUNT = 50


class Tick(EventPayload):
    topic: ClassVar[str] = "bench.tick"
    aggregate_type: ClassVar[str] = "tick"

    n: int


class Recorder:
    """Notes when each event's handler ran and wakes whoever waits for it."""

    def __init__(self) -> None:
        self.handled_at: dict[uuid.UUID, float] = {}
        self.arrived = asyncio.Event()

    async def __call__(self, session: AsyncSession, event: Event) -> None:
        await session.execute(text("SELECT 1"))
        self.handled_at[event.event_id] = time.monotonic()
        self.arrived.set()

    async def wait_for(self, event_id: uuid.UUID) -> float:
        while event_id not in self.handled_at:
            await self.arrived.wait()
            self.arrived.clear()
        return self.handled_at[event_id]


async def main(url: str) -> None:
    await migrate_all(url)
    engine = database.create_engine(url, application_name="bench-notify")
    sessionmaker = database.create_sessionmaker(engine)
    recorder = Recorder()
    poll = ServiceSettings.model_fields["event_poll_interval_seconds"].default
    runtime = EventBusRuntime(
        sessionmaker,
        listen_dsn=database.libpq_dsn(url),
        subscriptions=[Subscription(f"bench.notify.{uuid.uuid4().hex[:6]}", (Tick.topic,), recorder)],
        policy=DeliveryPolicy(poll_interval_seconds=poll),
        application_name="bench-notify",
    )
    await runtime.start()
    await asyncio.sleep(1.0)
    latencies = []
    try:
        for n in range(COUNT):
            started = time.monotonic()
            async with sessionmaker() as session, session.begin():
                event_id = await publish(session, Tick(n=n), source="bench", aggregate_id=str(n))
            latencies.append(await recorder.wait_for(event_id) - started)
    finally:
        await runtime.stop()
        await engine.dispose()
    latencies.sort()
    median = statistics.median(latencies)
    p95 = latencies[int(COUNT * 0.95) - 1]
    print(
        f"{COUNT} events: median {median * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms, "
        f"max {latencies[-1] * 1000:.1f} ms; polling interval {poll * 1000:.0f} ms; "
        f"median = {median / poll:.4f} of the interval"
    )


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
