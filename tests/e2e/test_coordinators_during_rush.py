"""Coordinators and HR act on a session in the middle of an enrollment rush on it: no deadlock, no 5xx.

Everything goes through the real processes: participants and coordinators to the enrollment service,
capacity changes to the catalogue (the enrollment service's consumer applies them under the same locks as
the requests), HR's group changes to the sync API. At the end the database holds every invariant: seats
counted are the places confirmed, nobody holds two places, no group is split, and PostgreSQL counted no
deadlock in the database.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections import Counter
from typing import Any

import asyncpg
import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from devtools.stack import Stack
from services.kernel import database
from tests.support import TokenFactory, create_leader, create_person, eventually

PEOPLE = 160
CAPACITY = 40
GROUP_MEMBERS = 5


async def deadlocks(reader: asyncpg.Connection) -> int:
    """Deadlocks PostgreSQL has detected in this database (its cumulative statistics, read afresh)."""
    await reader.execute("SELECT pg_stat_clear_snapshot()")
    found: int = await reader.fetchval(
        "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"
    )
    return found


async def test_a_rush_with_coordinators_and_hr_acting_meets_no_deadlock_and_no_server_error(
    stack: Stack, engine: AsyncEngine, database_url: str, tokens: TokenFactory
) -> None:
    tag = uuid.uuid4().hex[:8]
    sessionmaker = database.create_sessionmaker(engine)
    async with sessionmaker() as session, session.begin():
        people = [await create_person(session, f"rush{i}-{tag}@uke.oslo.kommune.no") for i in range(PEOPLE)]
        members = [await create_person(session, f"member{i}-{tag}@uke.oslo.kommune.no") for i in range(4)]
        leader = await create_leader(session, f"leader-{tag}@uke.oslo.kommune.no", members=members)
    group_id = await _group_of(database_url, leader.id)
    coordinator = tokens.header("coordinator")
    reader = await asyncpg.connect(database.libpq_dsn(database_url))
    statuses: Counter[int] = Counter()
    try:
        async with (
            httpx.AsyncClient(base_url=stack.url("catalog"), timeout=60) as catalog,
            httpx.AsyncClient(base_url=stack.url("enrollment"), timeout=60) as enrollment,
        ):
            session_id = await _published_session(catalog, coordinator, tag)
            await eventually(
                lambda: reader.fetchval("SELECT 1 FROM enrollment.sessions WHERE id = $1", session_id),
                within=10,
            )
            before = await deadlocks(reader)

            def record(response: httpx.Response) -> httpx.Response:
                statuses[response.status_code] += 1
                assert response.status_code < 500, response.text
                return response

            async def enroll(person_id: uuid.UUID) -> None:
                record(
                    await enrollment.post(
                        "/enrollments",
                        json={"session_id": str(session_id), "person_id": str(person_id)},
                        headers={**coordinator, "Idempotency-Key": f"rush-{person_id}"},
                    )
                )

            async def enroll_group() -> None:
                await asyncio.sleep(0.05)
                record(
                    await enrollment.post(
                        "/enrollments",
                        json={"session_id": str(session_id), "leader_group_id": str(group_id)},
                        headers=coordinator,
                    )
                )

            async def entries(status: str) -> list[uuid.UUID]:
                rows = await reader.fetch(
                    "SELECT id FROM enrollment.enrollments WHERE session_id = $1 AND status = $2 "
                    "ORDER BY queue_rank",
                    session_id,
                    status,
                )
                return [row["id"] for row in rows]

            async def coordinate() -> None:
                shuffle = random.Random(7)
                for round_ in range(8):
                    await asyncio.sleep(0.05)
                    etag = (await catalog.get(f"/sessions/{session_id}", headers=coordinator)).headers["etag"]
                    record(
                        await catalog.patch(
                            f"/sessions/{session_id}",
                            json={
                                "capacity": CAPACITY - 10 if round_ % 2 == 0 else CAPACITY + 5,
                                "allow_overbooking": True,  # below the confirmed seats too
                            },
                            headers={**coordinator, "If-Match": etag},
                        )
                    )
                    confirmed, waiting = await entries("confirmed"), await entries("waitlisted")
                    for enrollment_id in shuffle.sample(confirmed, min(2, len(confirmed))):
                        record(
                            await enrollment.post(
                                f"/enrollments/{enrollment_id}/cancel",
                                json={"reason": "Kan ikke likevel"},
                                headers=coordinator,
                            )
                        )
                    if len(waiting) > 3:
                        record(
                            await enrollment.post(
                                f"/enrollments/{waiting[-1]}/move",
                                json={"position": 1, "reason": "Prioritert"},
                                headers=coordinator,
                            )
                        )
                        record(
                            await enrollment.post(
                                f"/enrollments/{waiting[-2]}/promote",
                                json={"reason": "Taler på samlingen"},
                                headers=coordinator,
                            )
                        )

            # Read before the rush: the reader connection serves one statement at a time.
            smaller_group = await _group_record(reader, group_id, drop=members[0].external_id)

            async def hr_changes_the_group() -> None:
                await asyncio.sleep(0.3)
                record(
                    await enrollment.post(
                        "/directory/sync/leader-groups",
                        json={"records": [smaller_group]},
                        headers=tokens.header("hr-integration"),
                    )
                )

            await asyncio.gather(
                *(enroll(p.id) for p in people), enroll_group(), coordinate(), hr_changes_the_group()
            )
            await asyncio.sleep(1.5)  # the statistics of the last transactions reach the shared counters
            assert await deadlocks(reader) == before
            await _check_invariants(reader, session_id)
    finally:
        await reader.close()
    assert statuses[201] + statuses[200] > PEOPLE, statuses


async def _group_of(database_url: str, leader_id: uuid.UUID) -> uuid.UUID:
    connection = await asyncpg.connect(database.libpq_dsn(database_url))
    try:
        group_id: uuid.UUID = await connection.fetchval(
            "SELECT id FROM enrollment.leader_groups WHERE leader_id = $1", leader_id
        )
    finally:
        await connection.close()
    return group_id


async def _group_record(reader: asyncpg.Connection, group_id: uuid.UUID, *, drop: str) -> dict[str, Any]:
    """The group as HR would send it, without the member `drop`."""
    group = await reader.fetchrow(
        "SELECT external_id, name, org_unit_external_id, leader_external_id FROM enrollment.leader_groups "
        "WHERE id = $1",
        group_id,
    )
    members = await reader.fetch(
        "SELECT person_external_id FROM enrollment.leader_group_members WHERE group_id = $1", group_id
    )
    return {
        "external_id": group["external_id"],
        "name": group["name"],
        "org_unit_external_id": group["org_unit_external_id"],
        "leader_external_id": group["leader_external_id"],
        "members": [
            {"person_external_id": m["person_external_id"]}
            for m in members
            if m["person_external_id"] != drop
        ],
    }


async def _published_session(catalog: httpx.AsyncClient, coordinator: dict[str, str], tag: str) -> uuid.UUID:
    offering = await catalog.post(
        "/offerings",
        json={"kind_code": "professional-day", "title": f"Fagdag {tag}", "summary": "For alle ledere."},
        headers=coordinator,
    )
    assert offering.status_code == 201, offering.text
    created = await catalog.post(
        "/sessions",
        json={
            "offering_id": offering.json()["id"],
            "starts_at": "2031-01-19T09:00:00+01:00",
            "ends_at": "2031-01-19T16:00:00+01:00",
            "capacity": CAPACITY,
            "venue": "Rådhuset",
        },
        headers=coordinator,
    )
    assert created.status_code == 201, created.text
    published = await catalog.post(f"/offerings/{offering.json()['id']}/publish", headers=coordinator)
    assert published.status_code == 200, published.text
    return uuid.UUID(created.json()["id"])


async def _check_invariants(reader: asyncpg.Connection, session_id: uuid.UUID) -> None:
    counted = await reader.fetchval(
        "SELECT seats_confirmed FROM enrollment.sessions WHERE id = $1", session_id
    )
    confirmed = await reader.fetchval(
        "SELECT count(*) FROM enrollment.participations WHERE session_id = $1 AND status = 'confirmed'",
        session_id,
    )
    assert counted == confirmed
    doubles = await reader.fetchval(
        "SELECT count(*) FROM (SELECT person_id FROM enrollment.participations WHERE session_id = $1 "
        "AND status IN ('confirmed', 'waitlisted') GROUP BY person_id HAVING count(*) > 1) d",
        session_id,
    )
    assert doubles == 0
    split = await reader.fetchval(
        "SELECT count(*) FROM enrollment.enrollments e "
        "JOIN enrollment.participations p ON p.enrollment_id = e.id "
        "WHERE e.session_id = $1 AND p.status IN ('confirmed', 'waitlisted') AND p.status <> e.status",
        session_id,
    )
    assert split == 0
    seats = await reader.fetchval(
        "SELECT count(*) FROM enrollment.enrollments e WHERE e.session_id = $1 AND e.status <> 'cancelled' "
        "AND e.seats <> (SELECT count(*) FROM enrollment.participations p WHERE p.enrollment_id = e.id "
        "AND p.status = e.status)",
        session_id,
    )
    assert seats == 0
