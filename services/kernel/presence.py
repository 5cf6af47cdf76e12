"""Whether a process is still alive, as PostgreSQL sees it: one idle connection per process.

A process keeps one connection open for as long as it lives and names it, by its server process id and
start time, in whatever it holds for a while (an `Idempotency-Key` claim). When the process dies, however
it dies, the connection dies with it and PostgreSQL forgets the backend at once; so another process finds
the holder gone in `pg_stat_activity` and need not wait for a lease to run out. A connection that broke
while the process lives (PostgreSQL restarted) is opened again on the first use after the process noticed
it closed, with a new holder; claims made before then look abandoned: at worst a retry is decided
afresh, which the enrollment rules make harmless.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import NamedTuple

import asyncpg


class Holder(NamedTuple):
    """A live process, as its presence connection's server process: id and start time."""

    pid: int
    started: datetime


# True when the backend named by :holder_pid and :holder_started is gone (its process died). SQL for the
# WHERE clauses of whoever checks claims.
HOLDER_GONE = (
    "NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.pid = {pid} AND a.backend_start = {started})"
)


class Presence:
    def __init__(self, dsn: str, application_name: str) -> None:
        self._dsn = dsn
        self._application_name = application_name
        self._connection: asyncpg.Connection | None = None
        self._holder: Holder | None = None
        self._lock = asyncio.Lock()

    async def holder(self) -> Holder:
        """This process, connecting first if need be."""
        connection = self._connection
        if connection is not None and not connection.is_closed() and self._holder is not None:
            return self._holder
        async with self._lock:
            if self._connection is None or self._connection.is_closed() or self._holder is None:
                self._connection = await asyncpg.connect(
                    self._dsn, server_settings={"application_name": self._application_name}, timeout=5
                )
                row = await self._connection.fetchrow(
                    "SELECT pid, backend_start FROM pg_stat_activity WHERE pid = pg_backend_pid()"
                )
                self._holder = Holder(row["pid"], row["backend_start"])
            return self._holder

    async def close(self) -> None:
        if self._connection is not None and not self._connection.is_closed():
            await self._connection.close()
        self._connection = self._holder = None
