"""Workers across replicas, take-over when one stops or dies, and NOTIFY wake-ups."""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import AsyncIterator
from functools import partial

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from services.kernel import database
from services.kernel.eventbus import Event
from services.kernel.eventbus.consumer import DeliveryPolicy, Worker
from services.kernel.eventbus.runtime import EventBusRuntime
from tests.kernel.eventbus_support import Recorder, handled, publish_pings, register
from tests.support import eventually


@pytest.fixture
async def replica_sessionmakers(
    db: AsyncEngine, database_url: str
) -> AsyncIterator[list[async_sessionmaker[AsyncSession]]]:
    """Two independent engines: two replicas of one service."""
    engines = [database.create_engine(database_url, application_name=f"replica-{i}") for i in range(2)]
    yield [database.create_sessionmaker(engine) for engine in engines]
    for engine in engines:
        await engine.dispose()


POLICY = DeliveryPolicy(batch_size=10, max_attempts=3, retry_base_seconds=0.01, poll_interval_seconds=0.05)


async def test_two_workers_handle_each_event_once_and_one_carries_on_when_the_other_stops(
    replica_sessionmakers: list[async_sessionmaker[AsyncSession]],
) -> None:
    recorder = Recorder()
    subscription = recorder.subscription()
    first_sm, second_sm = replica_sessionmakers
    await register(first_sm, subscription)
    workers = [Worker(first_sm, subscription, POLICY), Worker(second_sm, subscription, POLICY)]
    for worker in workers:
        worker.start()
    published = []
    for batch in range(10):
        published += await publish_pings(first_sm, *range(batch * 30, batch * 30 + 30))
        if batch == 4:
            await eventually(lambda: _count_at_least(first_sm, 60))
            await workers[0].stop()  # mid-stream
    await eventually(
        lambda: _count_at_least(first_sm, len(published)), describe=lambda: _bus_diagnostics(first_sm)
    )
    await workers[1].stop()

    counts = await handled(first_sm)
    assert set(counts) == set(published)
    assert set(counts.values()) == {1}
    assert sum(recorder.calls.values()) == len(published)
    assert workers[1].handled > 0


async def _bus_diagnostics(sessionmaker: async_sessionmaker[AsyncSession]) -> str:
    """What to look at when delivery stalls: running transactions (the fence) and the position."""
    async with sessionmaker() as session:
        activity = await session.execute(
            text(
                "SELECT application_name, state, backend_xid::text AS xid FROM pg_stat_activity "
                "WHERE backend_xid IS NOT NULL"
            )
        )
        snapshot = (await session.execute(text("SELECT pg_current_snapshot()::text"))).scalar_one()
        subscriptions = (await session.execute(text("SELECT * FROM eventbus.subscriptions"))).all()
        missing = (
            await session.execute(
                text(
                    "SELECT e.xid::text, e.id FROM eventbus.events e "
                    "LEFT JOIN bus_test.handled h USING (event_id) WHERE h.event_id IS NULL ORDER BY e.id"
                )
            )
        ).all()
        dead = (await session.execute(text("SELECT event_pk, error FROM eventbus.dead_letters"))).all()
    count = len(await handled(sessionmaker))
    return (
        f"handled={count} snapshot={snapshot} running={activity.all()} subscriptions={subscriptions} "
        f"missing={missing} dead={dead}"
    )


async def _count_at_least(sessionmaker: async_sessionmaker[AsyncSession], n: int) -> bool:
    return len(await handled(sessionmaker)) >= n


# The killed replica's connection is dropped mid-transaction, as when a process dies; asyncpg reports the
# abandoned connection when it is garbage-collected, which this test forces below.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.filterwarnings("ignore::ResourceWarning")
async def test_a_standby_takes_over_when_the_active_worker_dies_mid_batch(
    replica_sessionmakers: list[async_sessionmaker[AsyncSession]],
) -> None:
    """The active worker hangs in a handler and is killed; its batch rolls back and the standby redoes it."""
    recorder = Recorder()
    stuck = asyncio.Event()
    release = asyncio.Event()

    async def handler(session: AsyncSession, event: Event) -> None:
        await recorder(session, event)
        if event.payload["n"] == 5 and not stuck.is_set():
            stuck.set()
            await release.wait()  # never released: this replica dies here

    first_sm, second_sm = replica_sessionmakers
    subscription = recorder.subscription()
    subscription = type(subscription)(name=subscription.name, topics=subscription.topics, handler=handler)
    await register(first_sm, subscription)
    published = await publish_pings(first_sm, *range(10))
    dying = Worker(first_sm, subscription, POLICY)
    dying.start()
    await asyncio.wait_for(stuck.wait(), timeout=10)
    standby = Worker(second_sm, subscription, POLICY)
    standby.start()
    await asyncio.sleep(0.3)
    assert await handled(first_sm) == {}, "the standby must not run while the subscription is held"

    assert dying._task is not None
    dying._task.cancel()  # the replica dies; its open transaction is rolled back
    with pytest.raises(asyncio.CancelledError):
        await dying._task

    await eventually(lambda: _count_at_least(first_sm, len(published)))
    await standby.stop()
    counts = await handled(first_sm)
    assert set(counts) == set(published)
    assert set(counts.values()) == {1}
    gc.collect()


async def test_notify_delivers_far_sooner_than_the_polling_interval(
    sessionmaker: async_sessionmaker[AsyncSession], database_url: str
) -> None:
    recorder = Recorder()
    subscription = recorder.subscription()
    poll_interval = 30.0
    runtime = EventBusRuntime(
        sessionmaker,
        listen_dsn=database.libpq_dsn(database_url),
        subscriptions=[subscription],
        policy=DeliveryPolicy(poll_interval_seconds=poll_interval),
        application_name="tests",
    )
    await runtime.start()
    try:
        await eventually(lambda: _listening(runtime))
        await asyncio.sleep(0.2)  # let the start-up catch-up pass finish and the worker go to sleep
        latencies = []
        for n in range(1, 4):
            started = time.monotonic()
            await publish_pings(sessionmaker, n)
            await eventually(partial(_count_at_least, sessionmaker, n), within=poll_interval)
            latencies.append(time.monotonic() - started)
    finally:
        await runtime.stop()
    assert max(latencies) < poll_interval / 10, latencies


async def _listening(runtime: EventBusRuntime) -> bool:
    return runtime.listener.connected


async def test_listener_reconnects_and_catches_up(
    sessionmaker: async_sessionmaker[AsyncSession], database_url: str
) -> None:
    """Kill the listening connection: events published meanwhile still arrive, without waiting for a poll."""
    recorder = Recorder()
    subscription = recorder.subscription()
    runtime = EventBusRuntime(
        sessionmaker,
        listen_dsn=database.libpq_dsn(database_url),
        subscriptions=[subscription],
        policy=DeliveryPolicy(poll_interval_seconds=30.0),
        application_name="tests-reconnect",
    )
    await runtime.start()
    try:
        await eventually(lambda: _listening(runtime))
        async with sessionmaker() as session, session.begin():
            await session.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE application_name = 'tests-reconnect:listener'"
                )
            )
        await publish_pings(sessionmaker, 1)
        await eventually(lambda: _count_at_least(sessionmaker, 1), within=10)
        await eventually(lambda: _listening(runtime))
        assert runtime.healthy
    finally:
        await runtime.stop()
