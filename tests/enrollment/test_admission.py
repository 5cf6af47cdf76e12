"""Admission decides concurrent requests for one session together: each still gets its own answer, in
arrival order, never overbooked, a group never split, and nothing of a request whose client left first."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from services.enrollment.enrollments.admission import Admissions
from services.enrollment.enrollments.asks import Ask, prepare
from services.enrollment.enrollments.schemas import EnrollmentCreate
from services.kernel.auth.tokens import Principal, Role
from services.kernel.database import Reads
from tests.enrollment.conftest import World
from tests.enrollment.support import add_offering, add_session, coordinator, people_ids

PEOPLE = 60
SEATS = 20


async def _rows(sessionmaker: async_sessionmaker[AsyncSession], sql: str, **params: Any) -> list[Any]:
    async with sessionmaker() as session:
        return list((await session.execute(text(sql), params)).all())


async def test_a_burst_is_decided_in_few_transactions_in_arrival_order_without_overbooking(
    enrollment: httpx.AsyncClient,
    world: World,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    async with sessionmaker() as session, session.begin():
        course = await add_session(session, await add_offering(session), capacity=SEATS)
    people = await people_ids(sessionmaker, PEOPLE)
    headers = coordinator(world.tokens)

    async def enroll(person_id: uuid.UUID) -> httpx.Response:
        return await enrollment.post(
            "/enrollments", json={"session_id": str(course.id), "person_id": str(person_id)}, headers=headers
        )

    answers = await asyncio.gather(*(enroll(p) for p in people))
    assert [a.status_code for a in answers] == [201] * PEOPLE
    bodies = [a.json() for a in answers]
    assert sum(b["status"] == "confirmed" for b in bodies) == SEATS
    positions = sorted(b["waitlist_position"] for b in bodies if b["status"] == "waitlisted")
    assert positions == list(range(1, PEOPLE - SEATS + 1))

    stored = await _rows(
        sessionmaker,
        "SELECT id, status, queue_rank, xmin::text::bigint AS xid FROM enrollment.enrollments "
        "WHERE session_id = :s ORDER BY queue_rank",
        s=course.id,
    )
    # Arrival order is queue order: every confirmed enrollment arrived before every waiting one, and the
    # positions answered are the places in the stored order.
    statuses = [row.status for row in stored]
    assert statuses == ["confirmed"] * SEATS + ["waitlisted"] * (PEOPLE - SEATS)
    answered = {uuid.UUID(b["id"]): b["waitlist_position"] for b in bodies}
    assert [answered[row.id] for row in stored[SEATS:]] == list(range(1, PEOPLE - SEATS + 1))
    # Decided together: fewer transactions than requests.
    assert len({row.xid for row in stored}) < PEOPLE
    [(counted,)] = await _rows(
        sessionmaker, "SELECT seats_confirmed FROM enrollment.sessions WHERE id = :s", s=course.id
    )
    assert counted == SEATS
    listed = (await enrollment.get(f"/sessions/{course.id}/waiting-list", headers=headers)).json()["items"]
    assert [entry["enrollment"]["id"] for entry in listed] == [str(row.id) for row in stored[SEATS:]]


async def test_a_refusal_in_a_batch_is_that_request_s_alone(
    enrollment: httpx.AsyncClient, world: World, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async with sessionmaker() as session, session.begin():
        course = await add_session(session, await add_offering(session), capacity=5)
    people = await people_ids(sessionmaker, 8)
    headers = coordinator(world.tokens)
    twice = [people[0], *people, people[3]]

    async def enroll(person_id: uuid.UUID) -> httpx.Response:
        return await enrollment.post(
            "/enrollments", json={"session_id": str(course.id), "person_id": str(person_id)}, headers=headers
        )

    answers = await asyncio.gather(*(enroll(p) for p in twice))
    codes = [a.status_code for a in answers]
    assert sorted(codes) == [201] * 8 + [409] * 2
    refused = [a.json() for a in answers if a.status_code == 409]
    assert {r["type"] for r in refused} == {"urn:problem:already-enrolled"}
    [(places,)] = await _rows(
        sessionmaker,
        "SELECT count(*) FROM enrollment.participations WHERE session_id = :s AND status <> 'cancelled'",
        s=course.id,
    )
    assert places == 8


COORDINATOR = Principal(oid="coordinator", roles=frozenset({Role.coordinator.value}))


async def _asks(db: AsyncEngine, bodies: list[EnrollmentCreate]) -> list[Ask]:
    return [await prepare(Reads(db), COORDINATOR, body) for body in bodies]


async def test_a_group_decided_in_a_batch_is_confirmed_whole_or_waits_whole(
    world: World, sessionmaker: async_sessionmaker[AsyncSession], db: AsyncEngine
) -> None:
    async with sessionmaker() as session, session.begin():
        course = await add_session(session, await add_offering(session), capacity=6)
    people = await people_ids(sessionmaker, 5)
    group = EnrollmentCreate(session_id=course.id, leader_group_id=world.group.id)  # four people
    singles = [EnrollmentCreate(session_id=course.id, person_id=p) for p in people]
    # One person, the group (four of five seats left), two people (one seat left), the group of the
    # other leader (two people: no room, it waits whole), one person.
    other = EnrollmentCreate(session_id=course.id, leader_group_id=world.other_group.id)
    asks = await _asks(db, [singles[0], group, singles[1], singles[2], other, singles[3]])
    admissions = Admissions(sessionmaker)
    async with sessionmaker() as blocker, blocker.begin():
        await blocker.execute(
            text("SELECT 1 FROM enrollment.sessions WHERE id = :s FOR UPDATE"), {"s": course.id}
        )
        tasks = [asyncio.create_task(admissions.admit(asks[0]))]
        await asyncio.sleep(0.2)  # the first batch is taken and waits for the lock; the rest queue
        tasks += [asyncio.create_task(admissions.admit(ask)) for ask in asks[1:]]
        await asyncio.sleep(0.05)
    answers = await asyncio.gather(*tasks)
    assert [a.status for a in answers] == [
        "confirmed",
        "confirmed",
        "confirmed",
        "waitlisted",
        "waitlisted",
        "waitlisted",
    ]
    assert {p.status for p in answers[1].participants} == {"confirmed"}
    assert len(answers[1].participants) == 4
    assert {p.status for p in answers[4].participants} == {"waitlisted"}
    assert [a.waitlist_position for a in answers[3:]] == [1, 2, 3]
    [(counted,)] = await _rows(
        sessionmaker, "SELECT seats_confirmed FROM enrollment.sessions WHERE id = :s", s=course.id
    )
    assert counted == 6


async def test_a_request_whose_client_left_before_its_turn_is_not_decided(
    world: World, sessionmaker: async_sessionmaker[AsyncSession], db: AsyncEngine
) -> None:
    async with sessionmaker() as session, session.begin():
        course = await add_session(session, await add_offering(session), capacity=5)
    people = await people_ids(sessionmaker, 3)
    asks = await _asks(db, [EnrollmentCreate(session_id=course.id, person_id=p) for p in people])
    admissions = Admissions(sessionmaker)
    async with sessionmaker() as blocker, blocker.begin():
        # Someone else holds the session: the first request's batch waits for it, the others queue.
        await blocker.execute(
            text("SELECT 1 FROM enrollment.sessions WHERE id = :s FOR UPDATE"), {"s": course.id}
        )
        first = asyncio.create_task(admissions.admit(asks[0]))
        await asyncio.sleep(0.2)
        gone = asyncio.create_task(admissions.admit(asks[1]))
        last = asyncio.create_task(admissions.admit(asks[2]))
        await asyncio.sleep(0.05)
        gone.cancel()
    assert (await first).status == "confirmed"
    assert (await last).status == "confirmed"
    enrolled = await _rows(
        sessionmaker, "SELECT person_id FROM enrollment.enrollments WHERE session_id = :s", s=course.id
    )
    assert {row.person_id for row in enrolled} == {people[0], people[2]}
