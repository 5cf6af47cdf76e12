"""A process's presence connection: it names the process while it lives, and is opened again when it
broke while the process lives (a new holder; claims made before then look abandoned)."""

from __future__ import annotations

import asyncio

import asyncpg

from services.kernel import database
from services.kernel.presence import HOLDER_GONE, Presence


async def _gone(admin: asyncpg.Connection, pid: int, started: object) -> bool:
    query = "SELECT " + HOLDER_GONE.format(pid="$1", started="$2")
    gone: bool = await admin.fetchval(query, pid, started)
    return gone


async def test_a_holder_is_alive_while_its_process_lives_and_a_broken_connection_is_opened_again(
    database_url: str,
) -> None:
    presence = Presence(database.libpq_dsn(database_url), "tests-presence")
    admin = await asyncpg.connect(database.libpq_dsn(database_url))
    try:
        first = await presence.holder()
        assert await presence.holder() == first  # kept, not reconnected per use
        assert not await _gone(admin, first.pid, first.started)
        await admin.execute("SELECT pg_terminate_backend($1)", first.pid)
        second = first
        for _ in range(100):  # the client notices the closed socket within a turn or two of the loop
            await asyncio.sleep(0.05)
            second = await presence.holder()
            if second != first:
                break
        assert second != first
        assert await _gone(admin, first.pid, first.started)
        assert not await _gone(admin, second.pid, second.started)
    finally:
        await presence.close()
        await admin.close()
