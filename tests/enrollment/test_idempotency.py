"""`Idempotency-Key` on POST /enrollments: a double click or a retry never makes two enrollments."""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.enrollment.enrollments.schemas import EnrollmentCreate
from services.enrollment.idempotency.service import request_hash
from services.kernel import database
from services.kernel.presence import Presence
from tests.enrollment.conftest import World
from tests.enrollment.support import add_offering, add_session


async def test_a_repeat_with_the_same_key_returns_the_first_result(
    enrollment: httpx.AsyncClient, world: World, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async with sessionmaker() as session, session.begin():
        course = await add_session(session, await add_offering(session))
        other = await add_session(session, await add_offering(session))
    headers = {**world.as_(world.leader), "Idempotency-Key": "klikk-1"}
    body = {"session_id": str(course.id)}
    first = await enrollment.post("/enrollments", json=body, headers=headers)
    again = await enrollment.post("/enrollments", json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    different = await enrollment.post("/enrollments", json={"session_id": str(other.id)}, headers=headers)
    assert (different.status_code, different.json()["type"]) == (422, "urn:problem:idempotency-key-reused")
    # Keys belong to their owner: someone else's identical key is a new request.
    theirs = await enrollment.post(
        "/enrollments", json=body, headers={**world.as_(world.other_leader), "Idempotency-Key": "klikk-1"}
    )
    assert theirs.status_code == 201
    assert theirs.json()["id"] != first.json()["id"]
    # Without a key a repeat is decided afresh, and the person is simply already enrolled.
    plain = await enrollment.post("/enrollments", json=body, headers=world.as_(world.leader))
    assert plain.json()["type"] == "urn:problem:already-enrolled"
    async with sessionmaker() as session:
        count = await session.scalar(text("SELECT count(*) FROM enrollment.enrollments"))
    assert count == 2


async def test_simultaneous_repeats_make_one_enrollment(
    enrollment: httpx.AsyncClient, world: World, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async with sessionmaker() as session, session.begin():
        course = await add_session(session, await add_offering(session))
    headers = {**world.as_(world.leader), "Idempotency-Key": "dobbeltklikk"}
    responses = await asyncio.gather(
        *(
            enrollment.post("/enrollments", json={"session_id": str(course.id)}, headers=headers)
            for _ in range(5)
        )
    )
    created = [r for r in responses if r.status_code == 201]
    busy = [r for r in responses if r.status_code == 409]
    assert len(created) + len(busy) == 5
    assert len(created) >= 1
    assert len({r.json()["id"] for r in created}) == 1
    assert {r.json()["type"] for r in busy} <= {"urn:problem:idempotency-key-in-use"}
    async with sessionmaker() as session:
        assert await session.scalar(text("SELECT count(*) FROM enrollment.enrollments")) == 1


async def test_a_refused_request_releases_its_key(
    enrollment: httpx.AsyncClient, world: World, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async with sessionmaker() as session, session.begin():
        course = await add_session(session, await add_offering(session, audience="top-leader-groups"))
    headers = {**world.as_(world.leader), "Idempotency-Key": "prov-igjen"}
    refused = await enrollment.post("/enrollments", json={"session_id": str(course.id)}, headers=headers)
    assert refused.status_code == 403
    async with sessionmaker() as session:
        assert await session.scalar(text("SELECT count(*) FROM enrollment.idempotency_keys")) == 0
    group = {"session_id": str(course.id), "leader_group_id": str(world.group.id)}
    # Nothing was stored for the refusal, so the key is free; a different body is then a new request.
    accepted = await enrollment.post("/enrollments", json=group, headers=headers)
    assert accepted.status_code == 201


async def test_a_claim_left_by_a_request_that_died_lapses(
    enrollment: httpx.AsyncClient, world: World, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async with sessionmaker() as session, session.begin():
        course = await add_session(session, await add_offering(session))
        await session.execute(
            text(
                "INSERT INTO enrollment.idempotency_keys (owner_oid, route, key, request_hash, locked_until) "
                "VALUES (:oid, 'POST /enrollments', 'krasj', 'x', now() - interval '1 second')"
            ),
            {"oid": world.leader.entra_oid},
        )
    headers = {**world.as_(world.leader), "Idempotency-Key": "krasj"}
    response = await enrollment.post("/enrollments", json={"session_id": str(course.id)}, headers=headers)
    assert response.status_code == 201


async def test_a_claim_whose_process_died_is_taken_over_at_once_and_a_live_one_is_not(
    enrollment: httpx.AsyncClient,
    world: World,
    sessionmaker: async_sessionmaker[AsyncSession],
    database_url: str,
) -> None:
    """The claim's lease has a minute to run; only its holder's presence tells the two cases apart."""
    async with sessionmaker() as session, session.begin():
        course = await add_session(session, await add_offering(session))
    presences = [Presence(database.libpq_dsn(database_url), "tests-presence") for _ in range(2)]
    try:
        for key, presence in zip(("levende", "borte"), presences, strict=True):
            holder = await presence.holder()
            async with sessionmaker() as session, session.begin():
                await session.execute(
                    text(
                        "INSERT INTO enrollment.idempotency_keys (owner_oid, route, key, request_hash, "
                        "locked_until, holder_pid, holder_started) VALUES (:oid, 'POST /enrollments', :key, "
                        ":hash, now() + interval '1 minute', :pid, :started)"
                    ),
                    {
                        "oid": world.leader.entra_oid,
                        "key": key,
                        "hash": request_hash(EnrollmentCreate(session_id=course.id).model_dump(mode="json")),
                        "pid": holder.pid,
                        "started": holder.started,
                    },
                )
        await presences[1].close()  # that process died: PostgreSQL forgets its connection
        body = {"session_id": str(course.id)}
        alive = await enrollment.post(
            "/enrollments", json=body, headers={**world.as_(world.leader), "Idempotency-Key": "levende"}
        )
        assert (alive.status_code, alive.json()["type"]) == (409, "urn:problem:idempotency-key-in-use")
        dead = await enrollment.post(
            "/enrollments", json=body, headers={**world.as_(world.leader), "Idempotency-Key": "borte"}
        )
        assert dead.status_code == 201, dead.text
    finally:
        for presence in presences:
            await presence.close()


async def test_a_malformed_key_is_a_clear_error(enrollment: httpx.AsyncClient, world: World) -> None:
    response = await enrollment.post(
        "/enrollments",
        json={"session_id": str(world.group.id)},
        headers={**world.as_(world.leader), "Idempotency-Key": "x" * 300},
    )
    assert (response.status_code, response.headers["content-type"]) == (422, "application/problem+json")
