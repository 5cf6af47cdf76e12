"""Coaching on request, walked through as a top leader, a coordinator and a coach: ask, assign a coach
with capacity, book one-to-one sessions that behave like any place, complete; and who sees the note."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from devtools import devkeys
from services.enrollment.offerings.consumers import on_offering_event
from services.enrollment.offerings.models import OfferingView
from services.kernel.eventbus import Event
from tests.enrollment.conftest import World
from tests.enrollment.support import add_offering, add_session, coordinator, enroll, move_to_past
from tests.enrollment.test_attendance import feed_when
from tests.mailbox import parse
from tests.support import eventually

COACH_EMAIL = "jon.berg@uke.oslo.kommune.no"


def coach_header(world: World) -> dict[str, str]:
    return world.tokens.header(email=COACH_EMAIL)


async def coaching_offering(sessionmaker: async_sessionmaker[AsyncSession]) -> Any:
    async with sessionmaker() as session, session.begin():
        return await add_offering(
            session,
            kind_code="coaching",
            title="Individuell veiledning for toppledere",
            audience="top-leaders",
            on_request=True,
        )


async def add_coach(enrollment: httpx.AsyncClient, world: World, **fields: Any) -> dict[str, Any]:
    body = {
        "name": "Jon Berg",
        "email": COACH_EMAIL,
        "organisation": "UKE",
        "kind": "internal",
        "capacity_per_term": 2,
        "entra_oid": devkeys.person_oid(COACH_EMAIL),
        **fields,
    }
    response = await enrollment.post("/coaches", json=body, headers=coordinator(world.tokens))
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def ask(
    enrollment: httpx.AsyncClient, headers: dict[str, str], offering_id: Any, **body: Any
) -> httpx.Response:
    return await enrollment.post(
        "/coaching-requests", json={"offering_id": str(offering_id), **body}, headers=headers
    )


async def subjects(mail_directory: Path, at_least: int) -> dict[str, list[str]]:
    """Each recipient's address and the sorted first words of their mails' subjects (before the colon),
    once `at_least` mails are written."""

    def read() -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for path in mail_directory.glob("*.eml"):
            message = parse(path.read_bytes())
            found.setdefault(message["To"].addresses[0].addr_spec, []).append(
                message["Subject"].split(":")[0]
            )
        return {address: sorted(words) for address, words in found.items()}

    async def written() -> dict[str, list[str]] | None:
        found = await asyncio.to_thread(read)
        return found if sum(map(len, found.values())) >= at_least else None

    return await eventually(written)


async def assign(
    enrollment: httpx.AsyncClient, world: World, request_id: str, coach_id: str
) -> httpx.Response:
    return await enrollment.post(
        f"/coaching-requests/{request_id}/assign",
        json={"coach_id": coach_id},
        headers=coordinator(world.tokens),
    )


async def test_a_top_leader_asks_a_coordinator_assigns_and_books_and_the_coach_completes(
    enrollment: httpx.AsyncClient,
    world: World,
    sessionmaker: async_sessionmaker[AsyncSession],
    mail_directory: Path,
) -> None:
    offering = await coaching_offering(sessionmaker)
    coach = await add_coach(enrollment, world)
    response = await ask(
        enrollment, world.as_(world.leader), offering.id, note="Ny i rollen.", preferred_times="Tirsdager"
    )
    assert response.status_code == 201, response.text
    request = response.json()
    assert (request["state"], request["note"], request["coach"]) == ("requested", "Ny i rollen.", None)

    # Coordinators see it among the open requests, and assign the coach.
    listed = await enrollment.get(
        "/coaching-requests", params={"state": "requested"}, headers=coordinator(world.tokens)
    )
    assert [r["id"] for r in listed.json()["items"]] == [request["id"]]
    assigned = await assign(enrollment, world, request["id"], coach["id"])
    assert assigned.status_code == 200, assigned.text
    assert (assigned.json()["state"], assigned.json()["coach"]["name"]) == ("assigned", "Jon Berg")

    # The coach sees the request assigned to them, with its note.
    mine = await enrollment.get("/coaching-requests", headers=coach_header(world))
    assert [(r["id"], r["note"]) for r in mine.json()["items"]] == [(request["id"], "Ny i rollen.")]

    # The coordinator schedules a one-seat session in the catalogue and books it for the request.
    async with sessionmaker() as session, session.begin():
        course = await add_session(session, offering, capacity=1, days=14)
    booked = await enrollment.post(
        f"/coaching-requests/{request['id']}/sessions",
        json={"session_id": str(course.id)},
        headers=coordinator(world.tokens),
    )
    assert booked.status_code == 200, booked.text
    assert (booked.json()["state"], booked.json()["session_ids"]) == ("scheduled", [str(course.id)])

    # The place is an ordinary confirmed enrollment of the leader's.
    places = await enrollment.get("/enrollments/mine", headers=world.as_(world.leader))
    assert [(e["session_id"], e["status"]) for e in places.json()["items"]] == [(str(course.id), "confirmed")]

    # Held like any session: attendance gives the completion HR receives.
    await move_to_past(sessionmaker, course.id)
    marked = await enrollment.put(
        f"/sessions/{course.id}/attendance",
        json={"records": [{"person_id": str(world.leader.id), "attendance": "attended"}]},
        headers=coordinator(world.tokens),
    )
    assert marked.status_code == 200, marked.text
    page = await feed_when(enrollment, world, items=1)
    assert [(i["person_id"], i["change"]) for i in page["items"]] == [(str(world.leader.id), "completed")]

    completed = await enrollment.post(
        f"/coaching-requests/{request['id']}/complete", headers=coach_header(world)
    )
    assert completed.status_code == 200, completed.text
    history = [(c["action"], c["from_state"], c["to_state"]) for c in completed.json()["history"]]
    assert history == [
        ("requested", None, "requested"),
        ("assigned", "requested", "assigned"),
        ("scheduled", "assigned", "scheduled"),
        ("completed", "scheduled", "completed"),
    ]

    # Each change was mailed: the leader four times (received, coach, the enrolment's invitation,
    # completed), the coach twice (assigned, the booked conversation).
    received = await subjects(mail_directory, 6)
    assert received[world.leader.email] == [
        "Forespørsel mottatt",
        "Påmelding bekreftet",
        "Veileder funnet",
        "Veiledning avsluttet",
    ]
    assert received[COACH_EMAIL] == ["Ny veiledning", "Samtale avtalt"]


async def test_only_the_leader_coordinators_and_the_assigned_coach_see_a_request(
    enrollment: httpx.AsyncClient,
    world: World,
    sessionmaker: async_sessionmaker[AsyncSession],
    mail_directory: Path,
) -> None:
    offering = await coaching_offering(sessionmaker)
    coach = await add_coach(enrollment, world)
    other = await add_coach(
        enrollment,
        world,
        name="Eva Ekstern",
        email="eva@example.no",
        kind="external",
        entra_oid=devkeys.person_oid("eva@example.no"),
        language="en",
    )
    request = (await ask(enrollment, world.as_(world.leader), offering.id, note="Fortrolig.")).json()
    path = f"/coaching-requests/{request['id']}"
    for headers in (world.as_(world.other_leader), world.as_(world.employee), coach_header(world)):
        assert (await enrollment.get(path, headers=headers)).status_code == 404
        listed = await enrollment.get("/coaching-requests", headers=headers)
        assert listed.json()["items"] == []
    await assign(enrollment, world, request["id"], coach["id"])
    assert (await enrollment.get(path, headers=coach_header(world))).json()["note"] == "Fortrolig."
    other_coach = world.tokens.header(email="eva@example.no")
    assert (await enrollment.get(path, headers=other_coach)).status_code == 404
    # Reassigned: the first coach no longer sees it.
    await assign(enrollment, world, request["id"], other["id"])
    assert (await enrollment.get(path, headers=coach_header(world))).status_code == 404
    assert (await enrollment.get(path, headers=other_coach)).status_code == 200
    # Only coordinators act on requests.
    for action, body in (("assign", {"coach_id": coach["id"]}), ("decline", {"reason": "Nei"})):
        answer = await enrollment.post(f"{path}/{action}", json=body, headers=world.as_(world.leader))
        assert answer.status_code == 403, action
    # Each coach is told in their language; the note travels in no event and no mail.
    received = await subjects(mail_directory, 6)
    assert received[COACH_EMAIL] == ["Ny veiledning", "Veiledning flyttet"]
    assert received["eva@example.no"] == ["New coaching"]
    async with sessionmaker() as session:
        leaked = await session.scalar(
            text("SELECT count(*) FROM eventbus.events WHERE payload::text LIKE '%Fortrolig%'")
        )
    assert leaked == 0
    mails = await asyncio.to_thread(lambda: [p.read_bytes() for p in mail_directory.glob("*.eml")])
    assert not any(b"Fortrolig" in mail for mail in mails)


async def test_coaching_is_asked_for_not_enrolled_in_and_only_by_its_audience(
    enrollment: httpx.AsyncClient, world: World, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    offering = await coaching_offering(sessionmaker)
    async with sessionmaker() as session, session.begin():
        course = await add_session(session, offering, capacity=1)
        gathering = await add_offering(session, title="Temasamling")
    refused = await enroll(enrollment, world.as_(world.leader), expect=409, session_id=str(course.id))
    assert refused["type"] == "urn:problem:coaching-on-request"
    refused = await enroll(
        enrollment,
        coordinator(world.tokens),
        expect=409,
        session_id=str(course.id),
        person_id=str(world.leader.id),
    )
    assert refused["type"] == "urn:problem:coaching-on-request"
    answer = await ask(enrollment, world.as_(world.employee), offering.id)
    assert (answer.status_code, answer.json()["rule"]) == (403, "top-leaders-only")
    answer = await ask(enrollment, world.as_(world.leader), gathering.id)
    assert (answer.status_code, answer.json()["type"]) == (409, "urn:problem:not-arranged-on-request")
    assert (await ask(enrollment, world.as_(world.leader), offering.id)).status_code == 201
    again = await ask(enrollment, world.as_(world.leader), offering.id)
    assert (again.status_code, again.json()["type"]) == (409, "urn:problem:coaching-already-requested")
    missing = await ask(enrollment, world.as_(world.leader), uuid.uuid4())
    assert missing.status_code == 404


async def test_a_coach_takes_no_more_requests_a_term_than_their_capacity(
    enrollment: httpx.AsyncClient, world: World, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    offering = await coaching_offering(sessionmaker)
    coach = await add_coach(enrollment, world, capacity_per_term=1)
    first = (await ask(enrollment, world.as_(world.leader), offering.id)).json()
    second = (await ask(enrollment, world.as_(world.other_leader), offering.id)).json()
    ok = await assign(enrollment, world, first["id"], coach["id"])
    assert ok.status_code == 200
    full = await assign(enrollment, world, second["id"], coach["id"])
    assert (full.status_code, full.json()["type"]) == (409, "urn:problem:coach-at-capacity")
    # A coach taken off new assignments keeps what they have.
    inactive = await add_coach(
        enrollment, world, name="Per Pause", email="per@uke.oslo.kommune.no", entra_oid=None
    )
    patched = await enrollment.patch(
        f"/coaches/{inactive['id']}", json={"active": False}, headers=coordinator(world.tokens)
    )
    assert patched.json()["active"] is False
    unnamed = await enrollment.patch(
        f"/coaches/{inactive['id']}", json={"name": None}, headers=coordinator(world.tokens)
    )
    assert (unnamed.status_code, unnamed.json()["type"]) == (422, "urn:problem:validation-error")
    off = await assign(enrollment, world, second["id"], inactive["id"])
    assert (off.status_code, off.json()["type"]) == (409, "urn:problem:coach-inactive")
    coaches = [
        c
        for c in (await enrollment.get("/coaches", headers=coordinator(world.tokens))).json()["items"]
        if c["id"] == coach["id"]
    ]
    [load_now, load_next] = coaches[0]["load"]
    assert (load_now["assigned"], load_now["available"], load_next["assigned"]) == (1, 0, 0)
    assert coaches[0]["open_requests"] == 1
    # Declined with a reason, the second leader is told why; a declined request cannot be assigned.
    declined = await enrollment.post(
        f"/coaching-requests/{second['id']}/decline",
        json={"reason": "Ingen ledig veileder i vår."},
        headers=coordinator(world.tokens),
    )
    assert (declined.json()["state"], declined.json()["reason"]) == (
        "declined",
        "Ingen ledig veileder i vår.",
    )
    late = await assign(enrollment, world, second["id"], coach["id"])
    assert (late.status_code, late.json()["type"]) == (409, "urn:problem:coaching-request-state")


async def test_withdrawing_cancels_the_places_still_to_come(
    enrollment: httpx.AsyncClient,
    world: World,
    sessionmaker: async_sessionmaker[AsyncSession],
    mail_directory: Path,
) -> None:
    offering = await coaching_offering(sessionmaker)
    coach = await add_coach(enrollment, world)
    request = (await ask(enrollment, world.as_(world.leader), offering.id)).json()
    path = f"/coaching-requests/{request['id']}"
    await assign(enrollment, world, request["id"], coach["id"])
    async with sessionmaker() as session, session.begin():
        # Within the cancellation deadline: a leader could not cancel this place on their own.
        course = await add_session(session, offering, capacity=1, days=1, cancellation_deadline=None)
        await session.execute(
            text("UPDATE enrollment.sessions SET cancellation_deadline = now() WHERE id = :id"),
            {"id": course.id},
        )
    booked = await enrollment.post(
        f"{path}/sessions", json={"session_id": str(course.id)}, headers=coordinator(world.tokens)
    )
    assert booked.status_code == 200, booked.text
    # The seat is the request's: booking the same session for another request is refused.
    other = (await ask(enrollment, world.as_(world.other_leader), offering.id)).json()
    await assign(enrollment, world, other["id"], coach["id"])
    taken = await enrollment.post(
        f"/coaching-requests/{other['id']}/sessions",
        json={"session_id": str(course.id)},
        headers=coordinator(world.tokens),
    )
    assert (taken.status_code, taken.json()["type"]) == (409, "urn:problem:session-not-for-request")
    # Someone else cannot withdraw it; the leader can.
    assert (
        await enrollment.post(f"{path}/withdraw", headers=world.as_(world.other_leader))
    ).status_code == 404
    withdrawn = await enrollment.post(f"{path}/withdraw", headers=world.as_(world.leader))
    assert withdrawn.json()["state"] == "withdrawn"
    places = await enrollment.get("/enrollments/mine", headers=world.as_(world.leader))
    assert [e["status"] for e in places.json()["items"]] in ([], ["cancelled"])
    # The leader and the coach are told; the cancelled place is mailed like any.
    received = await subjects(mail_directory, 11)
    assert "Forespørsel trukket" in received[world.leader.email]
    assert "Påmelding avmeldt" in received[world.leader.email]
    assert "Forespørsel trukket" in received[COACH_EMAIL]
    # A new request for the same offering may follow.
    assert (await ask(enrollment, world.as_(world.leader), offering.id)).status_code == 201


async def test_the_catalogue_says_which_offerings_are_on_request(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    offering_id = uuid.uuid4()
    payload = {
        "offering_id": str(offering_id),
        "kind_code": "coaching",
        "title": "Individuell veiledning",
        "audience": "top-leaders",
        "audience_org_unit_ids": [],
        "booking_unit": "person",
        "format": "hybrid",
        "is_programme": False,
        "on_request": True,
        "completion_min_sessions": None,
        "themes": [],
        "status": "published",
        "offering_version": 2,
    }
    event = Event(
        id=1, xid="1", event_id=uuid.uuid4(), topic="catalog.offering_published", source="catalog",
        aggregate_type="offering", aggregate_id=str(offering_id), aggregate_version=2,
        occurred_at=datetime.now(UTC), request_id=None, payload_version=1, payload=payload,
    )  # fmt: skip
    async with sessionmaker() as session, session.begin():
        await on_offering_event(session, event)
    async with sessionmaker() as session:
        view = await session.get(OfferingView, offering_id)
    assert view is not None
    assert view.on_request is True


async def test_concurrent_coordinators_cannot_both_take_a_coachs_last_place(
    enrollment: httpx.AsyncClient, world: World, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    offering = await coaching_offering(sessionmaker)
    coach = await add_coach(enrollment, world, capacity_per_term=1)
    first = (await ask(enrollment, world.as_(world.leader), offering.id)).json()
    second = (await ask(enrollment, world.as_(world.other_leader), offering.id)).json()
    answers = await asyncio.gather(
        *(assign(enrollment, world, r["id"], coach["id"]) for r in (first, second))
    )
    assert sorted(a.status_code for a in answers) == [200, 409]
    coaches = (await enrollment.get("/coaches", headers=coordinator(world.tokens))).json()["items"]
    assert coaches[0]["load"][0]["assigned"] == 1


async def test_asking_twice_at_once_gives_one_request(
    enrollment: httpx.AsyncClient, world: World, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    offering = await coaching_offering(sessionmaker)
    answers = await asyncio.gather(*(ask(enrollment, world.as_(world.leader), offering.id) for _ in range(2)))
    assert sorted(a.status_code for a in answers) == [201, 409]
    refused = next(a for a in answers if a.status_code == 409)
    assert refused.json()["type"] == "urn:problem:coaching-already-requested"
