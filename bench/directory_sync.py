"""A full HR sync at municipal scale: 1,200 org units, 60,000 people and 60 top-leader groups.

    .venv/bin/python -m bench.directory_sync postgresql://postgres@127.0.0.1:5432/bench   # an empty database

Runs the three full syncs through the same service code the API uses (validation, set-based upserts,
reference resolution, deactivation, events), each in one transaction, then repeats them (nothing
changes) and runs a third time with 1% of the people gone. Prints each step's time beside the
60-second target for the whole first sync.
"""

from __future__ import annotations

import asyncio
import random
import sys
import time
from typing import Any

from sqlalchemy import text

from services.cli import migrate_all
from services.enrollment.hrsync import service
from services.enrollment.hrsync.schemas import SyncRequest, SyncResult
from services.kernel import database

UNITS, PEOPLE, GROUPS = 1200, 60_000, 60
TARGET_SECONDS = 60.0


def directory(people: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    rng = random.Random(54)  # noqa: S311 - synthetic data
    units = [
        {
            "external_id": f"ou-{n:04d}",
            "name": f"Enhet {n}",
            "kind": rng.choice(["agency", "city-district", "department", "enterprise", "other"]),
            "sector": f"Sektor {n % 9}",
            "parent_external_id": None if n < GROUPS else f"ou-{n % GROUPS:04d}",
        }
        for n in range(UNITS)
    ]
    staff = [
        {
            "external_id": f"E{n:06d}",
            "name": f"Ansatt {n}",
            "email": f"ansatt{n}@oslo.kommune.no",
            "org_unit_external_id": f"ou-{rng.randrange(UNITS):04d}",
            "manager_external_id": f"E{n // 10:06d}" if n >= 10 else None,
        }
        for n in range(people)
    ]
    groups = [
        {
            "external_id": f"tlg-{g:02d}",
            "name": f"Toppledergruppen {g}",
            "org_unit_external_id": f"ou-{g:04d}",
            "leader_external_id": f"E{g * 7:06d}",
            "members": [
                {"person_external_id": f"E{g * 7 + m:06d}", "role_title": "Direktør"} for m in range(7)
            ],
        }
        for g in range(GROUPS)
    ]
    return units, staff, groups


async def main(url: str) -> None:
    await migrate_all(url)
    engine = database.create_engine(url, application_name="bench-directory", statement_timeout_ms=600_000)
    sessionmaker = database.create_sessionmaker(engine)
    units, staff, groups = directory(PEOPLE)

    async def full(label: str, units: list[Any], staff: list[Any], groups: list[Any]) -> float:
        started = time.perf_counter()
        results: list[tuple[str, SyncResult]] = []
        for name, sync, records in (
            ("org units", service.sync_org_units, units),
            ("people", service.sync_people, staff),
            ("groups", service.sync_leader_groups, groups),
        ):
            step = time.perf_counter()
            async with sessionmaker() as session, session.begin():
                result = await sync(session, SyncRequest(records=records, full=True, force=True), 1.0)
            results.append((name, result))
            print(
                f"  {label} {name:9}: {time.perf_counter() - step:6.2f} s  created {result.created}, "
                f"updated {result.updated}, unchanged {result.unchanged}, deactivated {result.deactivated}, "
                f"rejected {len(result.rejected)}, pending {result.pending_references}"
            )
        return time.perf_counter() - started

    first = await full("first ", units, staff, groups)
    repeat = await full("repeat", units, staff, groups)
    fewer = await full("-1%   ", units, staff[: int(PEOPLE * 0.99)], groups)
    async with sessionmaker() as session:
        events = (await session.execute(text("SELECT count(*) FROM eventbus.events"))).scalar_one()
    await engine.dispose()
    print(f"events published: {events}")
    for label, seconds in (("first full sync", first), ("repeated (no change)", repeat), ("1% gone", fewer)):
        share = seconds / TARGET_SECONDS
        print(f"{label:22} {seconds:6.2f} s = {share:.2f} of the {TARGET_SECONDS:.0f} s target")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
