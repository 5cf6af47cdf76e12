"""Enrollment as participants and coordinators use it: audience rules, groups, programmes, the waiting
list and its promotions, windows and deadlines, coordinator overrides, and who sees what."""

from __future__ import annotations

import asyncio
import csv
import io
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from devtools import devkeys
from services.catalog.events import SessionScheduled
from services.enrollment.directory.models import Person
from services.kernel.eventbus import publish
from services.kernel.eventbus.repository import LOCK_SPACE
from tests.enrollment.conftest import World
from tests.enrollment.support import add_offering, add_session, coordinator, enroll, payloads
from tests.support import TokenFactory, create_leader, eventually


async def seats(sessionmaker: async_sessionmaker[AsyncSession], session_id: Any) -> int:
    async with sessionmaker() as session:
        value = await session.scalar(
            text("SELECT seats_confirmed FROM enrollment.sessions WHERE id = :id"), {"id": session_id}
        )
    return int(value)


async def test_audience_rules_admit_the_right_people_and_name_the_rule_that_refused(
    enrollment: httpx.AsyncClient, world: World, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async with sessionmaker() as session, session.begin():
        reflection = await add_session(session, await add_offering(session, audience="top-leaders"))
        development = await add_offering(
            session, audience="top-leader-groups", is_programme=True, kind_code="leader-group-development"
        )
        await add_session(session, development)
        workshop = await add_session(
            session, await add_offering(session, audience="top-leader-groups", booking_unit="group")
        )
        gathering = await add_session(session, await add_offering(session, audience="all-leaders"))
        districts = await add_session(
            session,
            await add_offering(session, audience="org-units", audience_org_unit_ids=[world.sector.id]),
        )

    def refused(body: dict[str, Any], rule: str) -> None:
        assert (body["type"], body["rule"]) == ("urn:problem:audience-rule", rule), body

    member = world.members[0]
    refused(
        await enroll(enrollment, world.as_(world.employee), 403, session_id=reflection.id), "top-leaders-only"
    )
    refused(await enroll(enrollment, world.as_(member), 403, session_id=reflection.id), "top-leaders-only")
    await enroll(enrollment, world.as_(world.leader), session_id=reflection.id)
    refused(
        await enroll(
            enrollment,
            world.as_(world.other_leader),
            403,
            session_id=reflection.id,
            leader_group_id=world.other_group.id,
        ),
        "top-leaders-individually",
    )
    refused(
        await enroll(enrollment, world.as_(world.leader), 403, offering_id=development.id),
        "whole-top-leader-groups",
    )
    refused(
        await enroll(enrollment, world.as_(world.leader), 403, session_id=workshop.id), "booked-per-group"
    )
    refused(await enroll(enrollment, world.as_(world.employee), 403, session_id=gathering.id), "leaders-only")
    await enroll(enrollment, world.as_(member), session_id=gathering.id)  # a member of a leader group leads
    # A unit under a named one is admitted; a unit elsewhere is not.
    await enroll(enrollment, world.as_(world.employee), session_id=districts.id)
    refused(
        await enroll(enrollment, world.as_(world.other_leader), 403, session_id=districts.id),
        "named-org-units",
    )
    # Coordinators make exceptions: the rules do not bind them when they enroll someone.
    made = await enroll(
        enrollment, coordinator(world.tokens), session_id=reflection.id, person_id=world.employee.id
    )
    assert made["status"] == "confirmed"
    # Only a group's own top leader enrolls it; to anyone else it does not exist.
    stranger = await enroll(
        enrollment,
        world.as_(world.other_leader),
        404,
        offering_id=development.id,
        leader_group_id=world.group.id,
    )
    assert stranger["type"] == "urn:problem:leader-group-not-found"


async def test_a_group_is_confirmed_whole_or_waits_whole_and_the_list_is_promoted_in_order(
    enrollment: httpx.AsyncClient, world: World, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async with sessionmaker() as session, session.begin():
        course = await add_session(session, await add_offering(session), capacity=6)
        leaders = [await create_leader(session, f"leder{n}@etat.oslo.kommune.no") for n in range(6)]
    a, b, c, d, e, f = leaders

    def as_(p: Person) -> dict[str, str]:
        return world.tokens.header(email=p.email)

    first = [await enroll(enrollment, as_(p), session_id=course.id) for p in (a, b, c)]
    group = await enroll(
        enrollment, world.as_(world.leader), session_id=course.id, leader_group_id=world.group.id
    )
    assert (group["status"], group["seats"], group["waitlist_position"]) == ("waitlisted", 4, 1)
    assert {p["status"] for p in group["participants"]} == {"waitlisted"}
    assert len(group["participants"]) == 4
    # Three seats are free and the group needs four: a newcomer who fits takes a seat.
    later = [await enroll(enrollment, as_(p), session_id=course.id) for p in (d, e, f)]
    assert [x["status"] for x in later] == ["confirmed", "confirmed", "confirmed"]
    g = await enroll(enrollment, world.as_(world.other_leader), session_id=course.id)
    assert (g["status"], g["waitlist_position"]) == ("waitlisted", 2)
    assert await seats(sessionmaker, course.id) == 6

    async def cancel(entry: dict[str, Any], who: Person) -> None:
        response = await enrollment.post(f"/enrollments/{entry['id']}/cancel", json={}, headers=as_(who))
        assert response.status_code == 200, response.text

    async def status(entry: dict[str, Any]) -> tuple[str, int | None]:
        body = (await enrollment.get(f"/enrollments/{entry['id']}", headers=coordinator(world.tokens))).json()
        return body["status"], body["waitlist_position"]

    await cancel(first[0], a)  # one seat: the group does not fit and is skipped; the next in line fits
    assert await status(group) == ("waitlisted", 1)
    assert await status(g) == ("confirmed", None)
    await cancel(first[1], b)
    await cancel(first[2], c)
    await cancel(later[0], d)  # three seats free: still not four
    assert await status(group) == ("waitlisted", 1)
    assert await seats(sessionmaker, course.id) == 3
    await cancel(later[1], e)  # four seats: the whole group moves up at once
    assert await status(group) == ("confirmed", None)
    assert await seats(sessionmaker, course.id) == 6

    promoted = await payloads(sessionmaker, "enrollment.promoted")
    assert sorted(p["person_id"] for p in promoted) == sorted(
        [str(world.other_leader.id), str(world.leader.id), *(str(m.id) for m in world.members)]
    )
    assert promoted[-1]["session_seats_confirmed"] == 6
    history = (
        await enrollment.get(f"/enrollments/{group['id']}/history", headers=world.as_(world.leader))
    ).json()["items"]
    assert [(h["action"], h["actor_oid"]) for h in history] == [
        ("waitlisted", world.leader.entra_oid),
        ("promoted", "system"),
    ]


async def test_simultaneous_requests_never_overbook_and_the_rest_wait_in_arrival_order(
    enrollment: httpx.AsyncClient, world: World, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async with sessionmaker() as session, session.begin():
        course = await add_session(session, await add_offering(session), capacity=10)
        leaders = [await create_leader(session, f"rush{n}@etat.oslo.kommune.no") for n in range(40)]
    responses = await asyncio.gather(
        *(
            enrollment.post(
                "/enrollments",
                json={"session_id": str(course.id)},
                headers=world.tokens.header(email=p.email),
            )
            for p in leaders
        )
    )
    assert [r.status_code for r in responses] == [201] * 40
    bodies = [r.json() for r in responses]
    assert sum(b["status"] == "confirmed" for b in bodies) == 10
    assert await seats(sessionmaker, course.id) == 10
    waiting = (
        await enrollment.get(f"/sessions/{course.id}/waiting-list", headers=coordinator(world.tokens))
    ).json()["items"]
    assert [w["position"] for w in waiting] == list(range(1, 31))
    # Each newcomer joined the end of the line: the position it was told is where it still stands.
    told = {b["id"]: b["waitlist_position"] for b in bodies if b["status"] == "waitlisted"}
    assert {w["enrollment"]["id"]: w["position"] for w in waiting} == told


async def test_a_group_booked_per_group_takes_one_slot(
    enrollment: httpx.AsyncClient, world: World, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async with sessionmaker() as session, session.begin():
        offering = await add_offering(session, audience="top-leader-groups", booking_unit="group")
        workshop = await add_session(session, offering, capacity=1)
    ours = await enroll(
        enrollment, world.as_(world.leader), session_id=workshop.id, leader_group_id=world.group.id
    )
    assert (ours["status"], ours["seats"], len(ours["participants"])) == ("confirmed", 1, 4)
    theirs = await enroll(
        enrollment,
        world.as_(world.other_leader),
        session_id=workshop.id,
        leader_group_id=world.other_group.id,
    )
    assert (theirs["status"], theirs["waitlist_position"]) == ("waitlisted", 1)
    # A member leaving the group's booking frees no slot; the group still comes.
    kari = world.members[0]
    left = await enrollment.post(f"/enrollments/{ours['id']}/cancel", json={}, headers=world.as_(kari))
    assert left.status_code == 200, left.text
    assert left.json()["status"] == "confirmed"
    assert [p["status"] for p in left.json()["participants"]] == ["cancelled"]  # a member sees their own
    assert await seats(sessionmaker, workshop.id) == 1


async def test_a_programme_is_taken_whole_with_a_place_in_every_session(
    enrollment: httpx.AsyncClient, world: World, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async with sessionmaker() as session, session.begin():
        programme = await add_offering(session, audience="top-leader-groups", is_programme=True)
        sessions = [
            await add_session(session, programme, capacity=capacity, days=30 + 42 * n)
            for n, capacity in enumerate((10, 10, 5))
        ]
    ours = await enroll(
        enrollment, world.as_(world.leader), offering_id=programme.id, leader_group_id=world.group.id
    )
    assert (ours["status"], ours["session_id"], len(ours["participants"])) == ("confirmed", None, 12)
    assert [await seats(sessionmaker, s.id) for s in sessions] == [4, 4, 4]
    # The third session has one seat left: the next group waits for the whole programme.
    theirs = await enroll(
        enrollment,
        world.as_(world.other_leader),
        offering_id=programme.id,
        leader_group_id=world.other_group.id,
    )
    assert (theirs["status"], theirs["waitlist_position"]) == ("waitlisted", 1)
    waiting = (
        await enrollment.get(f"/sessions/{sessions[0].id}/waiting-list", headers=coordinator(world.tokens))
    ).json()["items"]
    assert [w["enrollment"]["id"] for w in waiting] == [theirs["id"]]
    one_session = await enroll(enrollment, world.as_(world.leader), 409, session_id=sessions[0].id)
    assert one_session["type"] == "urn:problem:programme-taken-whole"
    twice = await enroll(
        enrollment, world.as_(world.leader), 409, offering_id=programme.id, leader_group_id=world.group.id
    )
    assert twice["type"] == "urn:problem:already-enrolled"

    # Two members leave the programme: the group shrinks in every session, and the waiting group fits.
    for member in world.members[:2]:
        response = await enrollment.post(
            f"/enrollments/{ours['id']}/cancel",
            json={"person_id": str(member.id)},
            headers=world.as_(world.leader),
        )
        assert response.status_code == 200, response.text
    assert (
        await enrollment.get(f"/enrollments/{theirs['id']}", headers=world.as_(world.other_leader))
    ).json()["status"] == "confirmed"
    assert [await seats(sessionmaker, s.id) for s in sessions] == [4, 4, 4]


async def test_enrollment_windows_and_cancellation_deadlines(
    enrollment: httpx.AsyncClient,
    world: World,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: Callable[[float], None],
) -> None:
    now = datetime.now(UTC)
    async with sessionmaker() as session, session.begin():
        offering = await add_offering(session)
        not_yet = await add_session(session, offering, enrollment_opens_at=now + timedelta(days=3))
        closed = await add_session(session, offering, enrollment_closes_at=now - timedelta(hours=1))
        late = await add_session(
            session, offering, capacity=1, cancellation_deadline=now + timedelta(seconds=2)
        )
        cancelled = await add_session(session, offering, status="cancelled")
    early = await enroll(enrollment, world.as_(world.leader), 409, session_id=not_yet.id)
    assert early["type"] == "urn:problem:enrollment-window-closed"
    # Times in problems carry Oslo's offset, as everywhere in the API.
    assert early["opens_at"].endswith(("+01:00", "+02:00"))
    assert early["opens_at"] in early["detail"]
    assert (await enroll(enrollment, world.as_(world.leader), 409, session_id=closed.id))["type"] == (
        "urn:problem:enrollment-window-closed"
    )
    assert (await enroll(enrollment, world.as_(world.leader), 409, session_id=cancelled.id))["type"] == (
        "urn:problem:session-not-open"
    )
    mine = await enroll(enrollment, world.as_(world.leader), session_id=late.id)
    waiting = await enroll(enrollment, world.as_(world.other_leader), session_id=late.id)
    clock(2.1)  # the cancellation deadline passes
    refused = await enrollment.post(
        f"/enrollments/{mine['id']}/cancel", json={}, headers=world.as_(world.leader)
    )
    assert (refused.status_code, refused.json()["type"]) == (409, "urn:problem:cancellation-deadline-passed")
    assert refused.json()["deadline"].endswith(("+01:00", "+02:00"))
    # Leaving a waiting list is always possible before the start: it frees nobody's seat.
    left = await enrollment.post(
        f"/enrollments/{waiting['id']}/cancel", json={}, headers=world.as_(world.other_leader)
    )
    assert left.json()["status"] == "cancelled"
    no_reason = await enrollment.post(
        f"/enrollments/{mine['id']}/cancel", json={}, headers=coordinator(world.tokens)
    )
    assert (no_reason.status_code, no_reason.json()["type"]) == (400, "urn:problem:reason-required")
    by_coordinator = await enrollment.post(
        f"/enrollments/{mine['id']}/cancel",
        json={"reason": "Sykdom, avtalt på telefon"},
        headers=coordinator(world.tokens),
    )
    assert (by_coordinator.json()["status"], by_coordinator.json()["cancel_reason"]) == (
        "cancelled",
        "Sykdom, avtalt på telefon",
    )
    again = await enrollment.post(
        f"/enrollments/{mine['id']}/cancel", json={"reason": "x"}, headers=coordinator(world.tokens)
    )
    assert again.json()["type"] == "urn:problem:enrollment-not-active"


async def test_coordinators_reorder_promote_over_capacity_and_remove_with_who_when_and_why(
    enrollment: httpx.AsyncClient, world: World, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async with sessionmaker() as session, session.begin():
        course = await add_session(session, await add_offering(session), capacity=1)
        a, b, c, d = [await create_leader(session, f"kø{n}@etat.oslo.kommune.no") for n in range(4)]
    entries = [
        await enroll(enrollment, world.tokens.header(email=p.email), session_id=course.id)
        for p in (a, b, c, d)
    ]
    assert [e["status"] for e in entries] == ["confirmed", "waitlisted", "waitlisted", "waitlisted"]
    desk = coordinator(world.tokens)
    plain = world.tokens.header(email=b.email)
    assert (
        await enrollment.post(
            f"/enrollments/{entries[3]['id']}/move", json={"position": 1, "reason": "x"}, headers=plain
        )
    ).status_code == 403
    moved = await enrollment.post(
        f"/enrollments/{entries[3]['id']}/move",
        json={"position": 1, "reason": "Prioritert bydel"},
        headers=desk,
    )
    assert moved.json()["waitlist_position"] == 1
    waiting = (await enrollment.get(f"/sessions/{course.id}/waiting-list", headers=desk)).json()["items"]
    assert [w["enrollment"]["id"] for w in waiting] == [entries[3]["id"], entries[1]["id"], entries[2]["id"]]
    promoted = await enrollment.post(
        f"/enrollments/{entries[2]['id']}/promote", json={"reason": "Foredragsholder"}, headers=desk
    )
    assert promoted.json()["status"] == "confirmed"
    assert await seats(sessionmaker, course.id) == 2  # over capacity, on purpose
    removed = await enrollment.post(
        f"/enrollments/{entries[1]['id']}/cancel", json={"reason": "Dobbeltpåmeldt"}, headers=desk
    )
    assert removed.json()["status"] == "cancelled"
    not_waiting = await enrollment.post(
        f"/enrollments/{entries[0]['id']}/promote", json={"reason": "x"}, headers=desk
    )
    assert not_waiting.json()["type"] == "urn:problem:enrollment-not-waitlisted"

    coordinator_oid = world.tokens.header  # noqa: F841 - the oid is derived from the coordinator's e-mail
    from devtools.devkeys import person_oid

    oid = person_oid("konsulent@uke.oslo.kommune.no")
    history = {
        e["id"]: (await enrollment.get(f"/enrollments/{e['id']}/history", headers=desk)).json()["items"]
        for e in entries
    }
    assert [(h["action"], h["actor_oid"], h["reason"]) for h in history[entries[3]["id"]]][1:] == [
        ("moved", oid, "Prioritert bydel")
    ]
    assert history[entries[3]["id"]][1]["details"] == {"from": 3, "to": 1}
    assert [(h["action"], h["reason"]) for h in history[entries[2]["id"]]][1:] == [
        ("promoted-over-capacity", "Foredragsholder")
    ]
    assert [(h["action"], h["actor_oid"], h["reason"]) for h in history[entries[1]["id"]]][1:] == [
        ("cancelled", oid, "Dobbeltpåmeldt")
    ]
    assert all(h["at"] for h in history[entries[1]["id"]])


async def test_who_sees_what(
    enrollment: httpx.AsyncClient, world: World, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async with sessionmaker() as session, session.begin():
        course = await add_session(session, await add_offering(session), capacity=10)
    ours = await enroll(
        enrollment, world.as_(world.leader), session_id=course.id, leader_group_id=world.group.id
    )
    theirs = await enroll(enrollment, world.as_(world.other_leader), session_id=course.id)
    kari = world.members[0]

    mine = (await enrollment.get("/enrollments/mine", headers=world.as_(kari))).json()["items"]
    assert [m["id"] for m in mine] == [ours["id"]]
    assert [p["person_id"] for p in mine[0]["participants"]] == [str(kari.id)]
    leader_view = (await enrollment.get(f"/enrollments/{ours['id']}", headers=world.as_(world.leader))).json()
    assert len(leader_view["participants"]) == 4
    group_view = (
        await enrollment.get(f"/leader-groups/{world.group.id}/enrollments", headers=world.as_(world.leader))
    ).json()["items"]
    assert [g["id"] for g in group_view] == [ours["id"]]
    for path in (f"/enrollments/{theirs['id']}", f"/leader-groups/{world.other_group.id}/enrollments"):
        assert (await enrollment.get(path, headers=world.as_(world.leader))).status_code == 404
    # Two top leaders try each other's objects: reads, history, cancelling, enrolling the other's group.
    for person, other in ((world.leader, theirs), (world.other_leader, ours)):
        headers = world.as_(person)
        assert (
            await enrollment.get(f"/enrollments/{other['id']}/history", headers=headers)
        ).status_code == 404
        cancel = await enrollment.post(f"/enrollments/{other['id']}/cancel", json={}, headers=headers)
        assert cancel.status_code == 404
    hijack = await enrollment.post(
        "/enrollments",
        json={"session_id": str(course.id), "leader_group_id": str(world.group.id)},
        headers=world.as_(world.other_leader),
    )
    assert hijack.status_code == 404
    assert (await enrollment.get(f"/enrollments/{ours['id']}", headers=world.as_(world.leader))).json()[
        "status"
    ] == ("confirmed")
    assert (
        await enrollment.get(f"/enrollments/{ours['id']}", headers=world.as_(world.employee))
    ).status_code == 404
    assert (
        await enrollment.get(f"/leader-groups/{world.group.id}/enrollments", headers=world.as_(kari))
    ).status_code == 404
    for path in (
        f"/sessions/{course.id}/roster",
        f"/sessions/{course.id}/roster.csv",
        f"/sessions/{course.id}/waiting-list",
    ):
        assert (await enrollment.get(path, headers=world.as_(world.leader))).status_code == 403

    roster = (
        await enrollment.get(f"/sessions/{course.id}/roster", headers=coordinator(world.tokens))
    ).json()["items"]
    assert sorted(r["name"] for r in roster) == ["Ivar", "Kari", "Liv", "Ola", "Per"]
    exported = await enrollment.get(f"/sessions/{course.id}/roster.csv", headers=coordinator(world.tokens))
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:4] == ["navn", "e-post", "status", "oppmøte"]
    assert sorted(r[0] for r in rows[1:]) == ["Ivar", "Kari", "Liv", "Ola", "Per"]
    # Both reads of the roster are on record: who read whose data, for what (docs/privacy.md).
    async with sessionmaker() as session:
        reads = (
            await session.execute(
                text(
                    "SELECT reader_oid, purpose, subject_ids FROM enrollment.personal_data_reads ORDER BY id"
                )
            )
        ).all()
    coordinator_oid = devkeys.person_oid("konsulent@uke.oslo.kommune.no")
    assert [(r.reader_oid, r.purpose) for r in reads] == [
        (coordinator_oid, "roster"),
        (coordinator_oid, "roster export"),
    ]
    assert all(sorted(r.subject_ids) == sorted(uuid.UUID(e["person_id"]) for e in roster) for r in reads)


async def test_a_name_that_looks_like_a_formula_is_exported_as_text(
    enrollment: httpx.AsyncClient, world: World, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async with sessionmaker() as session, session.begin():
        course = await add_session(session, await add_offering(session))
        sly = await create_leader(session, "sly@etat.oslo.kommune.no", name='=HYPERLINK("http://x")')
    await enroll(enrollment, world.tokens.header(email=sly.email), session_id=course.id)
    exported = await enrollment.get(f"/sessions/{course.id}/roster.csv", headers=coordinator(world.tokens))
    [_, row] = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig")), delimiter=";"))
    assert row[0] == '\'=HYPERLINK("http://x")'


async def test_bad_requests_get_problem_details(
    enrollment: httpx.AsyncClient, world: World, tokens: TokenFactory
) -> None:
    both = await enrollment.post(
        "/enrollments",
        json={"session_id": str(world.group.id), "offering_id": str(world.group.id)},
        headers=world.as_(world.leader),
    )
    assert (both.status_code, both.headers["content-type"]) == (422, "application/problem+json")
    neither = await enrollment.post("/enrollments", json={}, headers=world.as_(world.leader))
    assert neither.status_code == 422
    bad_move = await enrollment.post(
        f"/enrollments/{world.group.id}/move",
        json={"position": 0, "reason": "x"},
        headers=coordinator(tokens),
    )
    assert bad_move.status_code == 422


async def test_a_session_just_scheduled_is_not_yet_known_rather_than_not_found(
    enrollment: httpx.AsyncClient, world: World, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """The catalogue acknowledged a new session; until its event reaches this service, enrolling answers
    503 `session-not-yet-known` with Retry-After (a 404 would be wrong a moment later), then works."""
    async with sessionmaker() as session, session.begin():
        offering = await add_offering(session)
    session_id = uuid.uuid4()
    starts = datetime.now(UTC) + timedelta(days=20)
    scheduled = SessionScheduled(
        session_id=session_id, offering_id=offering.id, offering_title=offering.title,
        offering_kind=offering.kind_code, booking_unit="person", position=None, starts_at=starts,
        ends_at=starts + timedelta(hours=3), capacity=5, venue="Rådhuset", room=None, meeting_url=None,
        enrollment_opens_at=None, enrollment_closes_at=None, cancellation_deadline=None,
        status="scheduled", sequence=0,
    )  # fmt: skip
    async with sessionmaker() as held:
        # The enrollment service's consumer of sessions is busy elsewhere (its lock is held here).
        await held.begin()
        await held.execute(
            text("SELECT pg_advisory_xact_lock(:space, hashtext('enrollment.sessions'))"),
            {"space": LOCK_SPACE},
        )
        async with sessionmaker() as catalog, catalog.begin():
            await publish(catalog, scheduled, source="catalog", aggregate_id=session_id)
        early = await enrollment.post(
            "/enrollments", json={"session_id": str(session_id)}, headers=world.as_(world.leader)
        )
        assert early.status_code == 503
        assert early.json()["type"] == "urn:problem:session-not-yet-known"
        assert int(early.headers["retry-after"]) >= 1
        await held.rollback()
    unknown = await enrollment.post(
        "/enrollments", json={"session_id": str(uuid.uuid4())}, headers=world.as_(world.leader)
    )
    assert unknown.status_code == 404

    async def enrolled() -> bool:
        response = await enrollment.post(
            "/enrollments", json={"session_id": str(session_id)}, headers=world.as_(world.leader)
        )
        return response.status_code == 201

    await eventually(enrolled)
