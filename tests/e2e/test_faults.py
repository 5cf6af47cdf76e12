"""Faults under load: a service killed with SIGKILL in the middle of an enrollment rush, then restarted.

Every request that was answered 2xx is in the database once, every enrollment's event was published
with it (the outbox is the same transaction), and every consumer, in the restarted service and in the
feedback service, catches up.
"""

from __future__ import annotations

import asyncio
import base64
import signal
import uuid
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from devtools.stack import service_process
from services.kernel import database
from tests.e2e import rush
from tests.support import TokenFactory, eventually

# Enough that the requests in flight when the first answer arrives are not all decided in its batch.
PEOPLE = 300


async def test_a_service_killed_mid_rush_loses_no_acknowledged_write_and_consumers_catch_up(
    isolated_database: tuple[str, AsyncEngine],
    process_auth: dict[str, str],
    tokens: TokenFactory,
    tmp_path: Path,
) -> None:
    database_url, engine = isolated_database
    sessionmaker = database.create_sessionmaker(engine)
    course, people = await rush.session_and_people(sessionmaker, "k", PEOPLE)
    env = {
        "ENROLLMENT_MAIL_DIRECTORY": str(tmp_path / "mail"),
        "FEEDBACK_BALLOT_KEY": base64.urlsafe_b64encode(bytes(range(32))).decode(),
    }
    coordinator = tokens.header("coordinator")
    log = tmp_path / "enrollment.log"

    with service_process("feedback", database_url, process_auth, tmp_path / "feedback.log", env):
        with service_process("enrollment", database_url, process_auth, log, env) as (process, url):
            limits = httpx.Limits(max_keepalive_connections=0, max_connections=PEOPLE)
            async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as client:
                acknowledged: list[uuid.UUID] = []
                some_acknowledged = asyncio.Event()

                async def enroll(person_id: uuid.UUID) -> tuple[uuid.UUID, int | str]:
                    outcome = await rush.enroll(client, course.id, person_id, coordinator)
                    if isinstance(outcome, int):
                        acknowledged.append(person_id)
                        if len(acknowledged) >= 1:
                            some_acknowledged.set()
                    return person_id, outcome

                tasks = [asyncio.create_task(enroll(p.id)) for p in people]
                # Killed in the middle: once a few are acknowledged and the rest are still on their way.
                await asyncio.wait_for(some_acknowledged.wait(), timeout=30)
                process.send_signal(signal.SIGKILL)
                results = await asyncio.gather(*tasks)
        answered = {person for person, outcome in results if outcome == 201}
        assert answered, "killed before anything was acknowledged; the test proves nothing"
        assert len(answered) < PEOPLE, "everything was answered before the kill; the test proves nothing"
        assert {outcome for _, outcome in results} - {
            201,
            "ConnectError",
            "ReadError",
            "RemoteProtocolError",
        } == set()

        async with sessionmaker() as session:
            rows = (
                await session.execute(
                    text(
                        "SELECT e.person_id, count(*) OVER (PARTITION BY e.person_id) AS places, "
                        "(SELECT count(*) FROM eventbus.events v WHERE v.topic = 'enrollment.confirmed' "
                        " AND v.payload->>'enrollment_id' = e.id::text) AS events "
                        "FROM enrollment.enrollments e WHERE e.session_id = :s"
                    ),
                    {"s": course.id},
                )
            ).all()
        enrolled = {row.person_id for row in rows}
        # Acknowledged means stored; none twice; and each stored enrollment published its event.
        assert answered <= enrolled
        assert all(row.places == 1 and row.events == 1 for row in rows)

        # Restarted, the enrollment service's mailer catches up; the feedback service, consuming all along,
        # has every participant.
        with service_process("enrollment", database_url, process_auth, log, env):

            async def caught_up() -> bool:
                async with sessionmaker() as session:
                    participants = await session.scalar(
                        text("SELECT count(*) FROM feedback.participants WHERE session_id = :s"),
                        {"s": course.id},
                    )
                pending = await rush.unmailed(sessionmaker, course.id, handled=("sent", "uncertain"))
                return bool(participants == len(enrolled) and pending == 0)

            await eventually(caught_up, within=30)
            async with sessionmaker() as session:
                statuses: dict[str, int] = dict(
                    (
                        await session.execute(
                            text("SELECT status, count(*) FROM enrollment.mail_deliveries GROUP BY 1")
                        )
                    ).all()
                )
    # A mail claimed when the process died is marked uncertain and never sent again; every other was
    # sent exactly once.
    assert statuses.get("sent", 0) + statuses.get("uncertain", 0) == len(enrolled)
    files = list((tmp_path / "mail").glob("*.eml"))
    assert statuses.get("sent", 0) <= len(files) <= len(enrolled)


async def test_postgresql_restart_under_load_is_survived_without_losing_acknowledged_writes(
    process_auth: dict[str, str], tokens: TokenFactory, tmp_path: Path
) -> None:
    """A PostgreSQL of this test's own is stopped and started while enrollments keep coming: the service
    reports not ready, answers 503 (never 500) meanwhile, recovers by itself, and every acknowledged
    enrollment is there afterwards."""
    from devtools.devdb import EmbeddedPostgres
    from services.cli import migrate_all

    server = EmbeddedPostgres(tmp_path / "pg")
    url = server.ensure_database("ledelse")
    await migrate_all(url)
    engine = database.create_engine(url, application_name="tests-restart", pool_size=1, max_overflow=2)
    sessionmaker = database.create_sessionmaker(engine)
    course, people = await rush.session_and_people(sessionmaker, "r", PEOPLE)
    await engine.dispose()
    env = {"ENROLLMENT_MAIL_DIRECTORY": str(tmp_path / "mail")}
    coordinator = tokens.header("coordinator")
    outcomes: dict[uuid.UUID, int | str] = {}
    readiness: list[int] = []
    try:
        with service_process("enrollment", url, process_auth, tmp_path / "enrollment.log", env) as (_, base):
            # Idle connections dropped before uvicorn's 5 s keep-alive closes them (else a reused one can
            # be closed under a request: a ReadError that has nothing to do with the database).
            limits = httpx.Limits(keepalive_expiry=2.0)
            async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as client:

                async def load() -> None:
                    for person in people:
                        outcomes[person.id] = await rush.enroll(client, course.id, person.id, coordinator)
                        await asyncio.sleep(0.05)

                async def ready() -> int:
                    return (await client.get("/readyz")).status_code

                running_load = asyncio.create_task(load())
                await eventually(lambda: _acknowledged(outcomes, 5), within=30)
                # In threads: the load goes on while PostgreSQL stops and starts.
                await asyncio.to_thread(server.stop)
                readiness.append(await eventually(lambda: _when(ready, 503), within=30))
                await asyncio.sleep(1)  # an outage long enough for requests to fall into it
                server = await asyncio.to_thread(EmbeddedPostgres, tmp_path / "pg")
                readiness.append(await eventually(lambda: _when(ready, 200), within=60))
                await running_load
    finally:
        server.stop()
    server = EmbeddedPostgres(tmp_path / "pg")
    try:
        engine = database.create_engine(url, application_name="tests-restart-check")
        async with database.create_sessionmaker(engine)() as session:
            stored = set(
                (
                    await session.execute(
                        text("SELECT person_id FROM enrollment.enrollments WHERE session_id = :s"),
                        {"s": course.id},
                    )
                ).scalars()
            )
        await engine.dispose()
    finally:
        server.stop()
    acknowledged = {p for p, outcome in outcomes.items() if outcome == 201}
    assert readiness == [503, 200]
    assert set(map(str, outcomes.values())) <= {"201", "503"}, outcomes
    assert "503" in set(map(str, outcomes.values())), "no request fell into the outage"
    assert acknowledged <= stored
    assert len(acknowledged) > 5  # it went on after the restart


async def _acknowledged(outcomes: dict[uuid.UUID, int | str], at_least: int) -> bool:
    return sum(1 for outcome in outcomes.values() if outcome == 201) >= at_least


async def _when(check: Any, expected: int) -> int | None:
    status: int = await check()
    return status if status == expected else None
