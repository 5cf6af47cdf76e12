"""Retention periods a service enforces itself: a periodic job deletes what has been kept long enough.

Each `Retention` names a table and the SQL condition (naming `:now`) under which its rows have outlived
their period, as the service's register of processing states it (`privacy/register.py`). The job deletes
in batches, each in its own short transaction, so it never holds many rows locked against the service's
own writers, and a replica running the same job at the same time deletes other rows (`SKIP LOCKED`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.kernel import clock
from services.kernel.periodic import PeriodicJob

log = logging.getLogger(__name__)
BATCH = 500
ENFORCED_BY = "the service's retention job (hourly)"


@dataclass(frozen=True)
class Retention:
    table: str  # schema.table
    expired: str  # SQL condition on the table's rows, naming :now

    def statement(self) -> Any:
        expired = self.expired.replace(":now", "CAST(:now AS timestamptz)")
        return text(
            f"DELETE FROM {self.table} WHERE ctid IN ("  # noqa: S608 - names from code, not input
            f"SELECT ctid FROM {self.table} WHERE {expired} LIMIT {BATCH} FOR UPDATE SKIP LOCKED)"
        )


async def enforce(
    sessionmaker: async_sessionmaker[AsyncSession], rules: Sequence[Retention], now: datetime | None = None
) -> dict[str, int]:
    """Delete every row past its period; how many per table."""
    moment = now or clock.now()
    deleted: dict[str, int] = {}
    for rule in rules:
        total = 0
        while True:
            async with sessionmaker() as session, session.begin():
                result = await session.execute(rule.statement(), {"now": moment})
            count = int(getattr(result, "rowcount", 0) or 0)
            total += count
            if count < BATCH:
                break
        deleted[rule.table] = total
        if total:
            log.info("retention: %d rows of %s past their period deleted", total, rule.table)
    return deleted


def retention_job(rules: Sequence[Retention]) -> PeriodicJob:
    async def run(sessionmaker: async_sessionmaker[AsyncSession], settings: Any) -> None:
        await enforce(sessionmaker, rules)

    return PeriodicJob(
        name="retention",
        run=run,
        interval_seconds=lambda settings: float(settings.retention_sweep_seconds),
    )
