"""Background work that may wait yields to requests: a yielding subscription's worker takes no pass while
a request is in flight, unless it has waited its longest; other subscriptions never wait."""

from __future__ import annotations

import asyncio
import dataclasses

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.kernel.eventbus.consumer import DeliveryPolicy, Worker
from services.kernel.load import RequestLoad
from tests.kernel.eventbus_support import Recorder, publish_pings, register
from tests.support import eventually

POLICY = DeliveryPolicy(batch_size=50, max_attempts=3, retry_base_seconds=0.01, poll_interval_seconds=0.05)


async def test_quiet_returns_at_once_when_idle_when_the_last_request_ends_or_after_the_longest_wait() -> None:
    load = RequestLoad()
    await asyncio.wait_for(load.quiet(10), timeout=0.5)
    load.started()
    load.started()
    waiting = asyncio.create_task(load.quiet(10))
    await asyncio.sleep(0.05)
    load.finished()
    await asyncio.sleep(0.05)
    assert not waiting.done()
    load.finished()
    await asyncio.wait_for(waiting, timeout=0.5)
    load.started()
    started = asyncio.get_running_loop().time()
    await load.quiet(0.2)
    assert asyncio.get_running_loop().time() - started >= 0.2


async def test_a_yielding_worker_waits_for_requests_to_finish_and_another_does_not(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    polite, eager = Recorder(), Recorder()
    yielding = dataclasses.replace(
        polite.subscription("test.polite"), yields_to_requests=True, yield_seconds=30
    )
    plain = eager.subscription("test.eager")
    for subscription in (yielding, plain):
        await register(sessionmaker, subscription)
    load = RequestLoad()
    load.started()  # a request is in flight
    workers = [Worker(sessionmaker, s, POLICY, load) for s in (yielding, plain)]
    for worker in workers:
        worker.start()
    try:
        await publish_pings(sessionmaker, 1, 2)
        await eventually(lambda: _handled(eager, 2), within=10)
        assert sum(polite.calls.values()) == 0
        load.finished()
        await eventually(lambda: _handled(polite, 2), within=10)
    finally:
        for worker in workers:
            await worker.stop()


async def _handled(recorder: Recorder, count: int) -> bool:
    return sum(recorder.calls.values()) >= count
