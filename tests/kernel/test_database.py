"""Reads on the driver's connection (`database.Reads`): the pool stays whole when connections break."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import QueuePool

from services.kernel import database
from services.kernel.database import DriverStatement, Reads

BACKEND = DriverStatement.of(text("SELECT pg_backend_pid() AS pid"))
SLEEP = DriverStatement.of(text("SELECT pg_backend_pid() AS pid, pg_sleep(:seconds) IS NULL AS slept"))


@pytest.fixture
def pool_name() -> str:
    return f"reads-{uuid.uuid4().hex[:8]}"


@pytest.fixture
async def pool(database_url: str, pool_name: str) -> AsyncIterator[AsyncEngine]:
    """A pool of one connection plus three of overflow, named so its backends can be found."""
    engine = database.create_engine(database_url, application_name=pool_name, pool_size=1, max_overflow=3)
    yield engine
    await engine.dispose()


async def backends(engine: AsyncEngine, name: str) -> set[int]:
    """The server processes of connections with this application name."""
    async with engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT pid FROM pg_stat_activity WHERE application_name = :name"), {"name": name}
        )
        return {row.pid for row in rows}


async def terminate(engine: AsyncEngine, pid: int) -> None:
    """End a backend as a PostgreSQL restart would, and wait until it is gone."""
    async with engine.connect() as conn:
        await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        for _ in range(100):
            gone = (
                await conn.execute(
                    text("SELECT NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = :pid)"), {"pid": pid}
                )
            ).scalar_one()
            if gone:
                break
            await asyncio.sleep(0.02)
    await asyncio.sleep(0.1)  # the client's event loop reads the closed socket


def checked_out(engine: AsyncEngine) -> int:
    queue = engine.pool
    assert isinstance(queue, QueuePool)
    return queue.checkedout()


async def test_parameters_travel_as_sqlalchemy_would_bind_them(pool: AsyncEngine) -> None:
    statement = DriverStatement.of(
        text("SELECT :ids AS ids, :word AS word, :limit + 1 AS next").bindparams(
            bindparam("ids", type_=ARRAY(UUID(as_uuid=True)))
        )
    )
    ids = [uuid.uuid4(), uuid.uuid4()]
    [row] = await Reads(pool).fetch(statement, {"ids": ids, "word": "tillit", "limit": 20})
    assert (row["ids"], row["word"], row["next"]) == (ids, "tillit", 21)
    assert row[1] == "tillit"


async def test_a_connection_the_server_closed_is_replaced_at_checkout(
    pool: AsyncEngine, engine: AsyncEngine
) -> None:
    reads = Reads(pool)
    [first] = await reads.fetch(BACKEND, {})
    await terminate(engine, first["pid"])
    [second] = await reads.fetch(BACKEND, {})  # no error for the request that meets the closed connection
    assert second["pid"] != first["pid"]
    assert checked_out(pool) == 0


async def test_overflow_connections_are_closed_when_returned(
    pool: AsyncEngine, pool_name: str, engine: AsyncEngine
) -> None:
    reads = Reads(pool)
    rows = await asyncio.gather(*(reads.fetch(SLEEP, {"seconds": 0.3}) for _ in range(4)))
    assert len({row["pid"] for [row] in rows}) == 4  # the pool's one connection and three of overflow
    assert checked_out(pool) == 0
    assert len(await backends(engine, pool_name)) == 1  # the overflow was closed, not left open


async def test_a_connection_lost_during_a_statement_is_not_returned_to_the_pool(
    pool: AsyncEngine, engine: AsyncEngine
) -> None:
    reads = Reads(pool)
    [before] = await reads.fetch(BACKEND, {})
    sleeping = asyncio.create_task(reads.fetch(SLEEP, {"seconds": 30}))
    await asyncio.sleep(0.3)
    await terminate(engine, before["pid"])
    with pytest.raises(asyncpg.ConnectionDoesNotExistError):
        await sleeping
    assert checked_out(pool) == 0
    [after] = await reads.fetch(BACKEND, {})
    assert after["pid"] != before["pid"]
