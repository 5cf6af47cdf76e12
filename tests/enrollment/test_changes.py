"""What changes elsewhere do to enrollments: the catalogue cancels, moves or enlarges a session; HR
changes a leader group."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.catalog.events import SessionCancelled, SessionCapacityChanged, SessionRescheduled
from services.enrollment.sessions.models import SessionView
from services.kernel.eventbus import EventPayload, publish
from tests.enrollment.conftest import World
from tests.enrollment.support import add_offering, add_session, coordinator, enroll, payloads
from tests.support import eventually


def facts(course: SessionView, **changes: Any) -> dict[str, Any]:
    values = {
        "session_id": course.id,
        "offering_id": course.offering_id,
        "offering_title": course.offering_title,
        "offering_kind": course.offering_kind,
        "booking_unit": course.booking_unit,
        "position": None,
        "starts_at": course.starts_at,
        "ends_at": course.ends_at,
        "capacity": course.capacity,
        "venue": None,
        "room": None,
        "meeting_url": None,
        "enrollment_opens_at": None,
        "enrollment_closes_at": None,
        "cancellation_deadline": None,
        "status": "scheduled",
        "sequence": 0,
    }
    return {**values, **changes}


async def from_catalogue(sessionmaker: async_sessionmaker[AsyncSession], payload: EventPayload) -> None:
    async with sessionmaker() as session, session.begin():
        await publish(session, payload, source="catalog", aggregate_id=payload.model_dump()["session_id"])


async def test_a_session_cancelled_in_the_catalogue_cancels_its_enrollments_and_tells_people(
    enrollment: httpx.AsyncClient, world: World, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async with sessionmaker() as session, session.begin():
        course = await add_session(session, await add_offering(session), capacity=4)
    group = await enroll(
        enrollment, world.as_(world.leader), session_id=course.id, leader_group_id=world.group.id
    )
    waiting = await enroll(enrollment, world.as_(world.other_leader), session_id=course.id)
    assert waiting["status"] == "waitlisted"
    await from_catalogue(
        sessionmaker,
        SessionCancelled(**facts(course, status="cancelled", sequence=1), reason="For få påmeldte"),
    )

    async def cancelled() -> list[dict[str, Any]] | None:
        bodies = [
            (await enrollment.get(f"/enrollments/{e['id']}", headers=coordinator(world.tokens))).json()
            for e in (group, waiting)
        ]
        return bodies if all(b["status"] == "cancelled" for b in bodies) else None

    bodies = await eventually(cancelled)
    assert {b["cancel_reason"] for b in bodies} == {"Samlingen er avlyst: For få påmeldte"}
    notes = await payloads(sessionmaker, "enrollment.notification_requested")
    told = {n["recipient_person_id"] for n in notes if n["kind"] == "session-cancelled"}
    assert told == {str(world.leader.id), str(world.other_leader.id), *(str(m.id) for m in world.members)}
    last = (await payloads(sessionmaker, "enrollment.cancelled"))[-1]
    assert last["session_seats_confirmed"] == 0


async def test_a_rescheduled_session_keeps_its_enrollments_and_tells_people_once(
    enrollment: httpx.AsyncClient, world: World, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async with sessionmaker() as session, session.begin():
        course = await add_session(session, await add_offering(session))
    mine = await enroll(enrollment, world.as_(world.leader), session_id=course.id)
    moved = SessionRescheduled(
        **facts(
            course,
            starts_at=course.starts_at + timedelta(days=7),
            ends_at=course.ends_at + timedelta(days=7),
            sequence=1,
        ),
        previous_starts_at=course.starts_at,
        previous_ends_at=course.ends_at,
        reason="Salen er opptatt",
    )
    await from_catalogue(sessionmaker, moved)
    await from_catalogue(sessionmaker, moved)  # a replay of the same change

    async def told() -> list[dict[str, Any]] | None:
        notes = await payloads(sessionmaker, "enrollment.notification_requested")
        found = [n for n in notes if n["kind"] == "session-rescheduled"]
        return found or None

    [note] = await eventually(told)
    assert note["recipient_person_id"] == str(world.leader.id)
    assert note["data"]["reason"] == "Salen er opptatt"
    assert (await enrollment.get(f"/enrollments/{mine['id']}", headers=world.as_(world.leader))).json()[
        "status"
    ] == "confirmed"


async def test_raised_capacity_promotes_the_waiting_list(
    enrollment: httpx.AsyncClient, world: World, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async with sessionmaker() as session, session.begin():
        course = await add_session(session, await add_offering(session), capacity=1)
    await enroll(enrollment, world.as_(world.other_leader), session_id=course.id)
    group = await enroll(
        enrollment, world.as_(world.leader), session_id=course.id, leader_group_id=world.group.id
    )
    assert group["status"] == "waitlisted"
    await from_catalogue(
        sessionmaker, SessionCapacityChanged(**facts(course, capacity=5), previous_capacity=1)
    )

    async def promoted() -> bool:
        body = (await enrollment.get(f"/enrollments/{group['id']}", headers=world.as_(world.leader))).json()
        return bool(body["status"] == "confirmed")

    await eventually(promoted)


async def test_hr_membership_changes_follow_the_stated_rule(
    enrollment: httpx.AsyncClient, world: World, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """A member who leaves a leader group loses their places in the group's future enrollments; the group
    shrinks and the freed seats go to the waiting list. A group HR deactivates loses them all."""
    async with sessionmaker() as session, session.begin():
        course = await add_session(session, await add_offering(session), capacity=4)
    group = await enroll(
        enrollment, world.as_(world.leader), session_id=course.id, leader_group_id=world.group.id
    )
    waiting = await enroll(enrollment, world.as_(world.other_leader), session_id=course.id)
    assert (group["status"], waiting["status"]) == ("confirmed", "waitlisted")
    kari, per, liv = world.members
    record = {
        "external_id": world.group.external_id,
        "name": world.group.name,
        "org_unit_external_id": world.alna.external_id,
        "leader_external_id": world.leader.external_id,
        "members": [{"person_external_id": p.external_id} for p in (world.leader, per, liv)],
    }
    hr = world.tokens.header("hr-integration")
    result = await enrollment.post("/directory/sync/leader-groups", json={"records": [record]}, headers=hr)
    assert result.status_code == 200, result.text
    assert result.json()["enrollments_cancelled"] == 1, result.text
    after = (await enrollment.get(f"/enrollments/{group['id']}", headers=coordinator(world.tokens))).json()
    assert after["seats"] == 3
    gone = [p for p in after["participants"] if p["person_id"] == str(kari.id)]
    assert [(p["status"], p["cancel_reason"]) for p in gone] == [("cancelled", "Har gått ut av ledergruppen")]
    promoted = (
        await enrollment.get(f"/enrollments/{waiting['id']}", headers=coordinator(world.tokens))
    ).json()
    assert promoted["status"] == "confirmed"

    ended = await enrollment.post(
        "/directory/sync/leader-groups", json={"records": [{**record, "active": False}]}, headers=hr
    )
    assert ended.json()["enrollments_cancelled"] == 3
    final = (await enrollment.get(f"/enrollments/{group['id']}", headers=coordinator(world.tokens))).json()
    assert (final["status"], final["cancel_reason"]) == (
        "cancelled",
        "Ledergruppen er avviklet i HR-systemet",
    )
