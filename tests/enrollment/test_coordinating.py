"""Coordinators running a session's enrollment: pausing and resuming it, its state at a glance, a paged
waiting list, and moving one entry without rewriting the others."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from devtools import devkeys
from tests.enrollment.conftest import World
from tests.enrollment.support import add_offering, add_session, coordinator, enroll, people_ids


async def _ranks(sessionmaker: async_sessionmaker[AsyncSession], session_id: uuid.UUID) -> dict[str, Any]:
    async with sessionmaker() as session:
        rows = await session.execute(
            text(
                "SELECT id, queue_rank FROM enrollment.enrollments "
                "WHERE session_id = :s AND status = 'waitlisted'"
            ),
            {"s": session_id},
        )
        return {str(row.id): row.queue_rank for row in rows}


async def test_a_paused_session_refuses_new_enrollments_while_cancellations_and_promotions_go_on(
    enrollment: httpx.AsyncClient, world: World, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async with sessionmaker() as session, session.begin():
        course = await add_session(session, await add_offering(session), capacity=1)
    a, b, c = await people_ids(sessionmaker, 3)
    headers = coordinator(world.tokens)
    first = await enroll(enrollment, headers, session_id=course.id, person_id=a)
    waiting = await enroll(enrollment, headers, session_id=course.id, person_id=b)
    assert (first["status"], waiting["status"]) == ("confirmed", "waitlisted")

    forbidden = await enrollment.post(
        f"/sessions/{course.id}/enrollment/pause", json={"reason": "x"}, headers=world.as_(world.leader)
    )
    assert forbidden.status_code == 403
    paused = await enrollment.post(
        f"/sessions/{course.id}/enrollment/pause",
        json={"reason": "Lokalet er ikke bekreftet"},
        headers=headers,
    )
    assert paused.status_code == 200, paused.text
    state = paused.json()
    assert (state["paused"], state["pause_reason"], state["paused_by_oid"]) == (
        True,
        "Lokalet er ikke bekreftet",
        devkeys.person_oid("konsulent@uke.oslo.kommune.no"),  # the coordinator() token's
    )
    twice = await enrollment.post(
        f"/sessions/{course.id}/enrollment/pause", json={"reason": "Noe annet"}, headers=headers
    )
    assert (twice.json()["paused_at"], twice.json()["pause_reason"]) == (
        state["paused_at"],
        state["pause_reason"],
    )
    refused = await enroll(enrollment, headers, 409, session_id=course.id, person_id=c)
    assert refused["type"] == "urn:problem:enrollment-paused"
    assert "Lokalet er ikke bekreftet" in refused["detail"]

    # The waiting list still moves: a cancelled seat goes to the first in line.
    cancelled = await enrollment.post(
        f"/enrollments/{first['id']}/cancel", json={"reason": "Syk"}, headers=headers
    )
    assert cancelled.status_code == 200, cancelled.text
    promoted = (await enrollment.get(f"/enrollments/{waiting['id']}", headers=headers)).json()
    assert promoted["status"] == "confirmed"

    resumed = await enrollment.post(f"/sessions/{course.id}/enrollment/resume", headers=headers)
    assert resumed.status_code == 200
    assert (resumed.json()["paused"], resumed.json()["paused_at"]) == (False, None)
    again = await enroll(enrollment, headers, session_id=course.id, person_id=c)
    assert again["status"] == "waitlisted"


async def test_the_enrollment_state_reports_an_overbooked_session(
    enrollment: httpx.AsyncClient, world: World, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async with sessionmaker() as session, session.begin():
        course = await add_session(session, await add_offering(session), capacity=3)
    people = await people_ids(sessionmaker, 4)
    headers = coordinator(world.tokens)
    for person in people:
        await enroll(enrollment, headers, session_id=course.id, person_id=person)
    async with sessionmaker() as session, session.begin():  # the catalogue lowered the capacity to 1
        await session.execute(
            text("UPDATE enrollment.sessions SET capacity = 1 WHERE id = :s"), {"s": course.id}
        )
    state = (await enrollment.get(f"/sessions/{course.id}/enrollment", headers=headers)).json()
    assert (state["capacity"], state["seats_confirmed"], state["seats_free"], state["overbooked_by"]) == (
        1,
        3,
        0,
        2,
    )
    assert state["waiting"] == 1


async def test_moving_an_entry_writes_only_that_entry_and_the_list_pages(
    enrollment: httpx.AsyncClient, world: World, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async with sessionmaker() as session, session.begin():
        course = await add_session(session, await add_offering(session), capacity=1)
    people = await people_ids(sessionmaker, 7)
    headers = coordinator(world.tokens)
    ids = [(await enroll(enrollment, headers, session_id=course.id, person_id=p))["id"] for p in people]
    line = ids[1:]  # six waiting, in arrival order

    async def listed() -> list[str]:
        first = (
            await enrollment.get(f"/sessions/{course.id}/waiting-list", params={"limit": 4}, headers=headers)
        ).json()
        second = (
            await enrollment.get(
                f"/sessions/{course.id}/waiting-list",
                params={"limit": 4, "cursor": first["next_cursor"]},
                headers=headers,
            )
        ).json()
        entries = [*first["items"], *second["items"]]
        assert [entry["position"] for entry in entries] == list(range(1, len(entries) + 1))
        return [entry["enrollment"]["id"] for entry in entries]

    assert await listed() == line
    for moving, to, expected in (
        (line[4], 2, [line[0], line[4], line[1], line[2], line[3], line[5]]),
        (line[5], 1, [line[5], line[0], line[4], line[1], line[2], line[3]]),
        (line[5], 99, [line[0], line[4], line[1], line[2], line[3], line[5]]),
    ):
        before = await _ranks(sessionmaker, course.id)
        moved = await enrollment.post(
            f"/enrollments/{moving}/move", json={"position": to, "reason": "Prioritert"}, headers=headers
        )
        assert moved.status_code == 200, moved.text
        after = await _ranks(sessionmaker, course.id)
        assert {k for k in after if after[k] != before[k]} == {moving}
        assert await listed() == expected
    history = (await enrollment.get(f"/enrollments/{line[5]}/history", headers=headers)).json()["items"]
    assert [(h["details"]["from"], h["details"]["to"]) for h in history if h["action"] == "moved"] == [
        (6, 1),
        (1, 6),
    ]
    # A newcomer still joins at the end, behind an entry moved to the end.
    newcomer = await enroll(
        enrollment, headers, session_id=course.id, person_id=(await people_ids(sessionmaker, 1))[0]
    )
    assert newcomer["waitlist_position"] == 7
