"""Delivery guarantees of the event bus against a real PostgreSQL."""

from __future__ import annotations

import asyncio
import dataclasses

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.kernel import database
from services.kernel.eventbus import Event, publish, publish_many, repository
from services.kernel.eventbus.consumer import DeliveryPolicy, Outcome, run_pass
from tests.kernel.eventbus_support import (
    FAST,
    Ping,
    Recorder,
    drain,
    handled,
    handled_order,
    publish_pings,
    register,
)


@pytest.mark.parametrize("lower_xid_publishes_last", [False, True])
async def test_events_committed_out_of_id_order_are_all_delivered(
    sessionmaker: async_sessionmaker[AsyncSession], lower_xid_publishes_last: bool
) -> None:
    """Two transactions commit in the opposite order of their event ids: the consumer still gets both."""
    recorder = Recorder()
    subscription = recorder.subscription()
    await register(sessionmaker, subscription)

    async with sessionmaker() as slow, sessionmaker() as fast:
        await slow.begin()
        await fast.begin()
        if lower_xid_publishes_last:
            # `slow` takes its transaction id first but inserts its event after `fast` (higher event id).
            await slow.execute(text("SELECT pg_current_xact_id()"))
            fast_id = await publish(fast, Ping(n=2), source="tests", aggregate_id="2")
            slow_id = await publish(slow, Ping(n=1), source="tests", aggregate_id="1")
        else:
            # `slow` inserts first (lower event id) but commits last.
            slow_id = await publish(slow, Ping(n=1), source="tests", aggregate_id="1")
            fast_id = await publish(fast, Ping(n=2), source="tests", aggregate_id="2")
        await fast.commit()

        # The later event is committed and visible, but a transaction below it is still running:
        # the fence holds it back rather than letting the position move past the slow one's event.
        result = await run_pass(sessionmaker, subscription, FAST)
        assert result.outcome is Outcome.fenced
        assert await handled(sessionmaker) == {}
        async with sessionmaker() as probe:
            visible = (await probe.execute(text("SELECT event_id FROM eventbus.events"))).scalars().all()
        assert visible == [fast_id], "a naive `id > last_seen` reader would take this one and skip the other"

        await slow.commit()

    await drain(sessionmaker, subscription)
    assert await handled_order(sessionmaker) == [slow_id, fast_id]
    assert set((await handled(sessionmaker)).values()) == {1}


async def test_rolled_back_transaction_publishes_nothing(
    sessionmaker: async_sessionmaker[AsyncSession], database_url: str
) -> None:
    recorder = Recorder()
    subscription = recorder.subscription()
    await register(sessionmaker, subscription)
    listener = await asyncpg.connect(database.libpq_dsn(database_url))
    notifications: list[str] = []
    await listener.add_listener("eventbus", lambda *args: notifications.append(args[2]))
    try:
        async with sessionmaker() as session:
            await session.begin()
            await publish(session, Ping(n=1), source="tests", aggregate_id="1")
            await session.rollback()
        await asyncio.sleep(0.3)
        async with sessionmaker() as probe:
            count = (await probe.execute(text("SELECT count(*) FROM eventbus.events"))).scalar_one()
        assert count == 0
        assert notifications == []
        await drain(sessionmaker, subscription)
        assert recorder.calls == {}

        await publish_pings(sessionmaker, 2)  # the channel works: a committed publish does notify
        await asyncio.sleep(0.3)
        assert notifications == ["eventbus"]
    finally:
        await listener.close()


async def test_one_notification_per_transaction(
    sessionmaker: async_sessionmaker[AsyncSession], database_url: str
) -> None:
    listener = await asyncpg.connect(database.libpq_dsn(database_url))
    notifications: list[str] = []
    await listener.add_listener("eventbus", lambda *args: notifications.append(args[2]))
    try:
        await publish_pings(sessionmaker, *range(25))
        await asyncio.sleep(0.3)
        assert notifications == ["eventbus"]
    finally:
        await listener.close()


async def test_handler_failing_twice_then_succeeding_lands_its_effects_once(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    recorder = Recorder(fail_times=2)
    subscription = recorder.subscription()
    await register(sessionmaker, subscription)
    [event_id] = await publish_pings(sessionmaker, 1)

    results = await drain(sessionmaker, subscription)

    assert recorder.calls[event_id] == 3
    # The handler wrote its row on every attempt; the failed attempts' writes were rolled back.
    assert await handled(sessionmaker) == {event_id: 1}
    assert [r.outcome for r in results].count(Outcome.retry_later) == 2
    async with sessionmaker() as session:
        row = (await session.execute(text("SELECT attempts, last_error FROM eventbus.subscriptions"))).one()
        dead = (await session.execute(text("SELECT count(*) FROM eventbus.dead_letters"))).scalar_one()
    assert (row.attempts, row.last_error, dead) == (0, None, 0)


async def test_failed_attempt_is_recorded_and_not_retried_before_its_backoff(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    recorder = Recorder(fail_on={1})
    subscription = recorder.subscription()
    await register(sessionmaker, subscription)
    await publish_pings(sessionmaker, 1)
    slow_retries = DeliveryPolicy(max_attempts=3, retry_base_seconds=30)

    first = await run_pass(sessionmaker, subscription, slow_retries)
    second = await run_pass(sessionmaker, subscription, slow_retries)

    assert first.outcome is Outcome.retry_later
    assert first.delay == 30
    assert second.outcome is Outcome.retry_later
    assert second.delay is not None
    assert 25 < second.delay <= 30
    assert recorder.calls.total() == 1
    async with sessionmaker() as session:
        row = (await session.execute(text("SELECT attempts, last_error FROM eventbus.subscriptions"))).one()
    assert row.attempts == 1
    assert "RuntimeError: boom on 1" in row.last_error


async def test_order_is_numeric_when_transaction_ids_gain_a_digit(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    """xid 10 comes after xid 9 and 100 after 99 (a textual sort once skipped events at 999 -> 1000)."""
    recorder = Recorder()
    subscription = recorder.subscription()
    await register(sessionmaker, subscription)
    async with sessionmaker() as session, session.begin():
        # Pinned transaction ids, far below any live transaction: the fence lets them all through.
        for n, xid in enumerate([9, 9, 10, 10, 99, 100, 100, 101]):
            await session.execute(
                text(
                    "INSERT INTO eventbus.events (xid, event_id, topic, source, aggregate_type, "
                    "aggregate_id, payload_version, payload) VALUES (CAST(CAST(:xid AS text) AS xid8), "
                    "gen_random_uuid(), 'test.ping', 'tests', 'ping', :n, 1, CAST(:payload AS jsonb))"
                ),
                {"xid": str(xid), "n": str(n), "payload": f'{{"n": {n}}}'},
            )
    small_batches = DeliveryPolicy(batch_size=3, max_attempts=3, retry_base_seconds=0.01)

    await drain(sessionmaker, subscription, small_batches)

    async with sessionmaker() as session:
        order = (
            (
                await session.execute(
                    text(
                        "SELECT e.xid::text FROM bus_test.handled h JOIN eventbus.events e USING (event_id) "
                        "ORDER BY h.handled_seq"
                    )
                )
            )
            .scalars()
            .all()
        )
        end = await repository.end_position(session)
    assert order == ["9", "9", "10", "10", "99", "100", "100", "101"]
    assert end.xid == "101"


async def test_publish_many_adds_every_event_in_order_in_one_transaction(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    recorder = Recorder()
    subscription = recorder.subscription()
    await register(sessionmaker, subscription)
    async with sessionmaker() as session, session.begin():
        count = await publish_many(session, [(Ping(n=n), f"agg-{n}") for n in range(2000)], source="tests")
    assert count == 2000
    await drain(sessionmaker, subscription, DeliveryPolicy(batch_size=500, max_attempts=3))
    async with sessionmaker() as session:
        rows = (
            await session.execute(
                text(
                    "SELECT e.payload->>'n' AS n, e.aggregate_id FROM bus_test.handled h "
                    "JOIN eventbus.events e USING (event_id) ORDER BY h.handled_seq"
                )
            )
        ).all()
    assert [int(r.n) for r in rows] == list(range(2000))
    assert rows[5].aggregate_id == "agg-5"
    async with sessionmaker() as session:
        await session.begin()
        await publish_many(session, [(Ping(n=1), "x")], source="tests")
        await session.rollback()
        assert (await session.execute(text("SELECT count(*) FROM eventbus.events"))).scalar_one() == 2000


async def test_a_subscription_with_its_own_batch_size_handles_that_many_events_per_transaction(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    """A slow-work handler (the mailer) takes one event per pass: its transaction, which holds back every
    consumer's fence while it runs, covers one event, not the policy's hundred."""
    recorder = Recorder()
    one_at_a_time = dataclasses.replace(recorder.subscription(), batch_size=1)
    await register(sessionmaker, one_at_a_time)
    first, second, third = await publish_pings(sessionmaker, 1, 2, 3)

    passes = [await run_pass(sessionmaker, one_at_a_time, FAST) for _ in range(3)]

    assert [p.outcome for p in passes] == [Outcome.more, Outcome.more, Outcome.more]
    assert [p.handled for p in passes] == [1, 1, 1]
    assert await handled_order(sessionmaker) == [first, second, third]
    await publish_pings(sessionmaker, 4, 5, 6)
    with_policy = await run_pass(sessionmaker, recorder.subscription(), FAST)
    assert with_policy.handled == 3  # without its own size, the policy's batch takes them in one pass


async def test_a_failure_inside_a_batch_keeps_the_others_once_and_tries_the_failing_handler_once_per_attempt(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    """A batch runs in one savepoint; when its third event fails, the two before it are kept (written once),
    the third is retried and dead-lettered after exactly `max_attempts` calls, and the rest follow."""
    recorder = Recorder(fail_on={3})
    subscription = recorder.subscription()
    await register(sessionmaker, subscription)
    one, two, three, four, five = await publish_pings(sessionmaker, 1, 2, 3, 4, 5)

    first = await run_pass(sessionmaker, subscription, FAST)
    assert (first.outcome, first.handled) == (Outcome.retry_later, 2)
    assert await handled_order(sessionmaker) == [one, two]
    await drain(sessionmaker, subscription)

    assert recorder.calls[three] == FAST.max_attempts
    assert await handled(sessionmaker) == {one: 1, two: 1, four: 1, five: 1}
    async with sessionmaker() as session:
        dead = (
            (
                await session.execute(
                    text(
                        "SELECT e.event_id FROM eventbus.dead_letters d "
                        "JOIN eventbus.events e ON e.id = d.event_pk"
                    )
                )
            )
            .scalars()
            .all()
        )
    assert dead == [three]


async def test_a_worker_holding_its_subscription_does_not_hold_back_other_consumers(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    """A pass that holds its subscription but has written nothing yet (reading, or waiting on a slow
    handler) must not fence other subscriptions' events: only transactions that write take part."""
    recorder, other = Recorder(), Recorder()
    holding, reading = recorder.subscription(), other.subscription("tests.other")
    await register(sessionmaker, holding)
    await register(sessionmaker, reading)
    async with sessionmaker() as session, session.begin():
        assert await repository.claim(session, holding.name) is not None
        async with sessionmaker() as rival, rival.begin():
            assert await repository.claim(rival, holding.name) is None  # one worker at a time
        (event_id,) = await publish_pings(sessionmaker, 1)
        result = await run_pass(sessionmaker, reading, FAST)
        assert result.outcome is Outcome.idle
        assert list(other.calls) == [event_id]


async def test_a_whole_pass_handler_takes_the_batch_at_once_and_one_that_fails_falls_back_to_each_event(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    """`handle_many` handles a pass in one call; when it fails, its writes are rolled back and the events go
    one by one through `handler`, so the failing one is found, retried and dead-lettered as usual."""
    recorder = Recorder(fail_on={3})
    passes: list[list[int]] = []

    async def handle_many(session: AsyncSession, events: list[Event]) -> None:
        passes.append([event.payload["n"] for event in events])
        for event in events:
            await recorder(session, event)

    subscription = dataclasses.replace(recorder.subscription(), handle_many=handle_many)
    await register(sessionmaker, subscription)
    one, two, three, four = await publish_pings(sessionmaker, 1, 2, 3, 4)

    first = await run_pass(sessionmaker, subscription, FAST)
    assert (first.outcome, first.handled) == (Outcome.retry_later, 2)
    assert passes == [[1, 2, 3, 4]]
    assert await handled(sessionmaker) == {one: 1, two: 1}  # the whole-pass attempt left nothing behind
    await drain(sessionmaker, subscription)
    assert await handled(sessionmaker) == {one: 1, two: 1, four: 1}
    assert recorder.calls[three] == 1 + FAST.max_attempts  # the whole-pass attempt, then each attempt alone

    recorder.fail_on.clear()
    five, six = await publish_pings(sessionmaker, 5, 6)
    quiet = await run_pass(sessionmaker, subscription, FAST)
    assert quiet.handled == 2
    assert passes[-1] == [5, 6]
    assert recorder.calls[five] == recorder.calls[six] == 1  # taken at once, and by nothing else
