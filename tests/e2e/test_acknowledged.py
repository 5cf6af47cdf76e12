"""A 2xx means committed: the write is visible to any other connection the moment the answer arrives, and
it survives the process being killed right after answering."""

from __future__ import annotations

import signal
import uuid
from pathlib import Path

import asyncpg
import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from devtools.stack import Stack, service_process
from services.kernel import database
from tests.e2e import rush
from tests.support import TokenFactory

TRIES = 60


async def test_every_2xx_is_readable_from_another_connection_the_instant_it_arrives(
    stack: Stack, engine: AsyncEngine, database_url: str, tokens: TokenFactory
) -> None:
    """The client acts on each answer at once, as a frontend does: no try may find its write missing."""
    course, people = await rush.session_and_people(database.create_sessionmaker(engine), "ack", TRIES)
    coordinator = tokens.header("coordinator")
    integration = tokens.header("hr-integration")
    reader = await asyncpg.connect(database.libpq_dsn(database_url))
    missing: dict[str, int] = {"enrollment": 0, "org unit": 0, "offering": 0}
    try:
        async with (
            httpx.AsyncClient(base_url=stack.url("enrollment"), timeout=10) as enrollment,
            httpx.AsyncClient(base_url=stack.url("catalog"), timeout=10) as catalog,
        ):
            for person in people:
                answer = await enrollment.post(
                    "/enrollments",
                    json={"session_id": str(course.id), "person_id": str(person.id)},
                    headers=coordinator,
                )
                assert answer.status_code == 201, answer.text
                found = await reader.fetchval(
                    "SELECT count(*) FROM enrollment.enrollments WHERE id = $1",
                    uuid.UUID(answer.json()["id"]),
                )
                missing["enrollment"] += found == 0
            for n in range(TRIES):
                external_id = f"ack-{uuid.uuid4().hex[:8]}-{n}"
                answer = await enrollment.post(
                    "/directory/sync/org-units",
                    json={"records": [{"external_id": external_id, "name": f"Enhet {n}", "kind": "agency"}]},
                    headers=integration,
                )
                assert answer.status_code == 200, answer.text
                found = await reader.fetchval(
                    "SELECT count(*) FROM enrollment.org_units WHERE external_id = $1", external_id
                )
                missing["org unit"] += found == 0
            for n in range(TRIES):
                answer = await catalog.post(
                    "/offerings",
                    json={"kind_code": "professional-day", "title": f"Fagdag {n}", "summary": "For alle."},
                    headers=coordinator,
                )
                assert answer.status_code == 201, answer.text
                found = await reader.fetchval(
                    "SELECT count(*) FROM catalog.offerings WHERE id = $1", uuid.UUID(answer.json()["id"])
                )
                missing["offering"] += found == 0
    finally:
        await reader.close()
    assert missing == {"enrollment": 0, "org unit": 0, "offering": 0}


# Makes every commit that wrote an enrollment take a while, at the commit itself (a deferred constraint
# trigger runs as the transaction commits): a window a kill can land in deterministically.
SLOW_COMMIT = [
    """
    CREATE FUNCTION enrollment.test_slow_commit() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN PERFORM pg_sleep(0.5); RETURN NULL; END $$
    """,
    """
    CREATE CONSTRAINT TRIGGER test_slow_commit AFTER INSERT ON enrollment.enrollments
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION enrollment.test_slow_commit()
    """,
]


async def test_an_acknowledged_enrollment_survives_a_kill_the_instant_it_is_answered(
    isolated_database: tuple[str, AsyncEngine],
    process_auth: dict[str, str],
    tokens: TokenFactory,
    tmp_path: Path,
) -> None:
    database_url, engine = isolated_database
    course, people = await rush.session_and_people(database.create_sessionmaker(engine), "kill", 1)
    admin = await asyncpg.connect(database.libpq_dsn(database_url))
    try:
        for statement in SLOW_COMMIT:
            await admin.execute(statement)
        with service_process("enrollment", database_url, process_auth, tmp_path / "enrollment.log") as (
            process,
            url,
        ):
            async with httpx.AsyncClient(base_url=url, timeout=10) as client:
                answer = await client.post(
                    "/enrollments",
                    json={"session_id": str(course.id), "person_id": str(people[0].id)},
                    headers=tokens.header("coordinator"),
                )
                process.send_signal(signal.SIGKILL)
                process.wait(timeout=10)
        assert answer.status_code == 201, answer.text
        kept = await admin.fetchval(
            "SELECT count(*) FROM enrollment.enrollments WHERE id = $1", uuid.UUID(answer.json()["id"])
        )
        events = await admin.fetchval(
            "SELECT count(*) FROM eventbus.events WHERE payload->>'enrollment_id' = $1", answer.json()["id"]
        )
    finally:
        await admin.close()
    assert kept == 1
    assert events >= 1
