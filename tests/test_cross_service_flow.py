"""The first real flow through events across all three services, each running as its own app.

Catalogue schedules a session -> enrollment learns it from `catalog.session_scheduled` and accepts an
enrollment -> the catalogue's seat count and the feedback service's participant list follow from
`enrollment.confirmed`.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from devtools import devkeys
from tests.support import TokenFactory, create_leader, create_org_unit, create_person, eventually

FUTURE = {"starts_at": "2027-02-04T09:00:00+01:00", "ends_at": "2027-02-04T15:30:00+01:00"}


async def schedule_session(
    catalog: httpx.AsyncClient, tokens: TokenFactory, capacity: int = 300
) -> dict[str, Any]:
    coordinator = tokens.header("coordinator")
    offering = await catalog.post(
        "/offerings",
        json={"kind_code": "theme-gathering", "title": "Temasamling: Effektive ledergrupper – æøå"},
        headers=coordinator,
    )
    assert offering.status_code == 201, offering.text
    session = await catalog.post(
        "/sessions",
        json={
            "offering_id": offering.json()["id"],
            "capacity": capacity,
            "venue": "Rådhuset",
            "room": "Bystyresalen",
            "meeting_url": "https://teams.microsoft.com/l/meetup-join/abc",
            **FUTURE,
        },
        headers=coordinator,
    )
    assert session.status_code == 201, session.text
    offering = await catalog.patch(
        f"/offerings/{offering.json()['id']}",
        json={"summary": "Felles arena for toppledergruppene."},
        headers={**coordinator, "If-Match": offering.headers["etag"]},
    )
    assert offering.status_code == 200, offering.text
    published = await catalog.post(f"/offerings/{offering.json()['id']}/publish", headers=coordinator)
    assert published.status_code == 200, published.text
    body: dict[str, Any] = session.json()
    return body


async def enroll_when_known(
    enrollment: httpx.AsyncClient, session_id: str, headers: dict[str, str]
) -> httpx.Response:
    """Enrollment learns of the session asynchronously: until it has, it answers 503
    `session-not-yet-known` (never 404 for a session the catalogue acknowledged), and the client retries."""

    async def attempt() -> httpx.Response | None:
        response = await enrollment.post("/enrollments", json={"session_id": session_id}, headers=headers)
        if response.status_code == 503:
            assert response.json()["type"] == "urn:problem:session-not-yet-known"
            assert response.headers["retry-after"]
            return None
        assert response.status_code != 404, response.text
        return response

    return await eventually(attempt)


async def test_session_enrollment_seats_and_participants_flow_through_events(
    catalog: httpx.AsyncClient,
    enrollment: httpx.AsyncClient,
    feedback: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    tokens: TokenFactory,
) -> None:
    async with sessionmaker() as session, session.begin():
        alna = await create_org_unit(session, "Bydel Alna")
        ola = await create_leader(session, "ola@bydel-alna.oslo.kommune.no", org_unit=alna, name="Ola Hansen")
    scheduled = await schedule_session(catalog, tokens)
    assert scheduled["starts_at"] == "2027-02-04T09:00:00+01:00"
    assert scheduled["seats_taken"] == 0

    ola_headers = tokens.header(email="ola@bydel-alna.oslo.kommune.no")
    enrolled = await enroll_when_known(enrollment, scheduled["id"], ola_headers)
    assert enrolled.status_code == 201, enrolled.text
    assert enrolled.json()["person_id"] == str(ola.id)
    assert enrolled.json()["status"] == "confirmed"

    async def seats_taken() -> dict[str, Any] | None:
        body: dict[str, Any] = (
            await catalog.get(f"/sessions/{scheduled['id']}", headers=tokens.header())
        ).json()
        return body if body["seats_taken"] == 1 else None

    session_now = await eventually(seats_taken)
    assert session_now["seats_available"] == 299

    async def participants() -> list[dict[str, Any]] | None:
        response = await feedback.get(
            f"/sessions/{scheduled['id']}/participants", headers=tokens.header("coordinator")
        )
        body: list[dict[str, Any]] = response.json()["items"]
        return body or None

    [participant] = await eventually(participants)
    assert participant["person_id"] == str(ola.id)
    assert participant["org_unit_id"] == str(alna.id)
    assert participant["enrollment_id"] == enrolled.json()["id"]

    mine = await enrollment.get("/enrollments/mine", headers=ola_headers)
    assert [e["id"] for e in mine.json()["items"]] == [enrolled.json()["id"]]
    # What the list needs to show without a call per row: what it is, when and where.
    [shown] = mine.json()["items"]
    assert shown["offering_title"] == "Temasamling: Effektive ledergrupper – æøå"
    [held] = shown["sessions"]
    assert (held["id"], held["starts_at"], held["ends_at"]) == (
        scheduled["id"],
        scheduled["starts_at"],
        scheduled["ends_at"],
    )
    assert (held["venue"], held["room"], held["meeting_url"]) == (
        "Rådhuset",
        "Bystyresalen",
        "https://teams.microsoft.com/l/meetup-join/abc",
    )
    again = await enrollment.post("/enrollments", json={"session_id": scheduled["id"]}, headers=ola_headers)
    assert again.status_code == 409
    assert again.json()["type"] == "urn:problem:already-enrolled"


async def test_simultaneous_enrollments_never_overbook_and_the_rest_wait_in_line(
    catalog: httpx.AsyncClient,
    enrollment: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    tokens: TokenFactory,
) -> None:
    emails = [f"leader{n}@etat.oslo.kommune.no" for n in range(12)]
    async with sessionmaker() as session, session.begin():
        for email in emails:
            await create_leader(session, email)
    scheduled = await schedule_session(catalog, tokens, capacity=5)
    first = await enroll_when_known(enrollment, scheduled["id"], tokens.header(email=emails[0]))
    assert first.status_code == 201

    responses = await asyncio.gather(
        *(
            enrollment.post(
                "/enrollments", json={"session_id": scheduled["id"]}, headers=tokens.header(email=e)
            )
            for e in emails[1:]
        )
    )
    assert sorted(r.status_code for r in responses) == [201] * 11
    outcomes = sorted(r.json()["status"] for r in responses)
    assert outcomes == ["confirmed"] * 4 + ["waitlisted"] * 7
    positions = sorted(r.json()["waitlist_position"] for r in responses if r.json()["status"] == "waitlisted")
    assert positions == list(range(1, 8))

    async def full() -> bool:
        body = (await catalog.get(f"/sessions/{scheduled['id']}", headers=tokens.header())).json()
        return bool(body["seats_taken"] == 5)

    await eventually(full)


async def test_enrollment_refusals(
    catalog: httpx.AsyncClient,
    enrollment: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    tokens: TokenFactory,
) -> None:
    async with sessionmaker() as session, session.begin():
        kari = await create_leader(session, "kari@etat.oslo.kommune.no")
        await create_person(session, "inactive@etat.oslo.kommune.no", active=False)
    scheduled = await schedule_session(catalog, tokens)
    await enroll_when_known(enrollment, scheduled["id"], tokens.header(email="kari@etat.oslo.kommune.no"))

    stranger = await enrollment.post(
        "/enrollments", json={"session_id": scheduled["id"]}, headers=tokens.header(email="nobody@x.no")
    )
    assert stranger.status_code == 403
    assert stranger.json()["type"] == "urn:problem:not-in-directory"
    inactive = await enrollment.post(
        "/enrollments",
        json={"session_id": scheduled["id"]},
        headers=tokens.header(email="inactive@etat.oslo.kommune.no"),
    )
    assert inactive.status_code == 403
    unknown = await enrollment.post(
        "/enrollments",
        json={"session_id": str(uuid.uuid4())},
        headers=tokens.header(email="kari@etat.oslo.kommune.no"),
    )
    assert unknown.status_code == 404
    assert unknown.json()["type"] == "urn:problem:session-not-found"
    someone_else = await enrollment.post(
        "/enrollments",
        json={"session_id": scheduled["id"], "person_id": str(uuid.uuid4())},
        headers=tokens.header(email="kari@etat.oslo.kommune.no"),
    )
    assert someone_else.status_code == 403

    # Someone else's enrollment is invisible to a plain user, visible to a coordinator.
    [kari_enrollment] = (
        await enrollment.get("/enrollments/mine", headers=tokens.header(email="kari@etat.oslo.kommune.no"))
    ).json()["items"]
    async with sessionmaker() as session, session.begin():
        await create_leader(session, "per@etat.oslo.kommune.no")
    peek = await enrollment.get(
        f"/enrollments/{kari_enrollment['id']}", headers=tokens.header(email="per@etat.oslo.kommune.no")
    )
    assert peek.status_code == 404
    coordinator_view = await enrollment.get(
        f"/enrollments/{kari_enrollment['id']}", headers=tokens.header("coordinator")
    )
    assert coordinator_view.json()["person_id"] == str(kari.id)


async def test_coordinator_enrols_someone_else(
    catalog: httpx.AsyncClient,
    enrollment: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    tokens: TokenFactory,
) -> None:
    async with sessionmaker() as session, session.begin():
        liv = await create_person(session, "liv@bydel-sagene.oslo.kommune.no")
    scheduled = await schedule_session(catalog, tokens)

    async def attempt() -> httpx.Response | None:
        response = await enrollment.post(
            "/enrollments",
            json={"session_id": scheduled["id"], "person_id": str(liv.id)},
            headers=tokens.header("coordinator"),
        )
        return None if response.status_code == 503 and "session" in response.json()["type"] else response

    response = await eventually(attempt)
    assert response.status_code == 201
    assert response.json()["person_id"] == str(liv.id)
    missing = await enrollment.post(
        "/enrollments",
        json={"session_id": scheduled["id"], "person_id": str(uuid.uuid4())},
        headers=tokens.header("coordinator"),
    )
    assert missing.status_code == 404
    assert missing.json()["type"] == "urn:problem:person-not-found"


async def test_the_listing_says_who_may_enroll_from_the_directory_hr_keeps(
    catalog: httpx.AsyncClient, enrollment: httpx.AsyncClient, tokens: TokenFactory
) -> None:
    """HR syncs a top leader and an employee; the catalogue learns their audience facts from the
    enrollment service's events and says, beside each offering, whether each may enroll and why not."""
    hr = tokens.header("hr-integration")
    emails = {"leader": "toppleder@bym.oslo.kommune.no", "employee": "ansatt@bym.oslo.kommune.no"}
    units = [{"external_id": "bym", "name": "Bymiljøetaten", "kind": "agency", "sector": "Miljø"}]
    people = [
        {
            "external_id": f"E-{role}",
            "name": role,
            "email": email,
            "org_unit_external_id": "bym",
            "entra_oid": devkeys.person_oid(email),
        }
        for role, email in emails.items()
    ]
    group = {
        "external_id": "tlg-bym",
        "name": "Toppledergruppen BYM",
        "org_unit_external_id": "bym",
        "leader_external_id": "E-leader",
        "members": [],
    }
    for resource, records in (("org-units", units), ("people", people), ("leader-groups", [group])):
        answer = await enrollment.post(f"/directory/sync/{resource}", json={"records": records}, headers=hr)
        assert answer.status_code == 200, answer.text
    coordinator = tokens.header("coordinator")
    created = await catalog.post(
        "/offerings",
        json={
            "kind_code": "reflection-group",
            "title": "Refleksjonsgruppe for toppledere",
            "summary": "Samtaler i små grupper.",
            "audience": "top-leaders",
        },
        headers=coordinator,
    )
    assert created.status_code == 201, created.text
    scheduled = await catalog.post(
        "/sessions",
        json={"offering_id": created.json()["id"], "capacity": 8, "venue": "Rådhuset", **FUTURE},
        headers=coordinator,
    )
    assert scheduled.status_code == 201, scheduled.text
    published = await catalog.post(f"/offerings/{created.json()['id']}/publish", headers=coordinator)
    assert published.status_code == 200, published.text

    async def verdict(email: str) -> dict[str, Any] | None:
        listing = await catalog.get("/offerings", headers=tokens.header(email=email))
        [item] = [i for i in listing.json()["items"] if i["id"] == created.json()["id"]]
        found: dict[str, Any] = item["eligibility"]
        return None if found["rule"] == "not-in-directory" else found

    leader = await eventually(lambda: verdict(emails["leader"]))
    assert leader == {"may_enroll": True, "via": "person", "rule": None, "detail": None}
    employee = await eventually(lambda: verdict(emails["employee"]))
    assert (employee["may_enroll"], employee["rule"]) == (False, "top-leaders-only")
    stranger = (await catalog.get("/offerings", headers=tokens.header(email="ukjent@oslo.kommune.no"))).json()
    assert {i["eligibility"]["rule"] for i in stranger["items"]} == {"not-in-directory"}

    # The detail page says the same, and its tag follows the reader's verdict as well as the version.
    detail_url = f"/offerings/{created.json()['id']}"
    leader_detail = await catalog.get(detail_url, headers=tokens.header(email=emails["leader"]))
    employee_detail = await catalog.get(detail_url, headers=tokens.header(email=emails["employee"]))
    assert leader_detail.json()["eligibility"] == leader
    assert employee_detail.json()["eligibility"] == employee
    assert leader_detail.headers["vary"] == "Authorization, Accept-Language"
    tags = {leader_detail.headers["etag"], employee_detail.headers["etag"]}
    assert len(tags) == 2
    assert all(tag.startswith(f'"v{published.json()["version"]}.') for tag in tags)
    unchanged = await catalog.get(
        detail_url,
        headers={**tokens.header(email=emails["employee"]), "If-None-Match": employee_detail.headers["etag"]},
    )
    assert unchanged.status_code == 304
    # Any reader's tag of the current version lets a coordinator edit; a tag of an older one does not.
    edited = await catalog.patch(
        detail_url,
        json={"summary": "Samtaler i små grupper, med veileder."},
        headers={**coordinator, "If-Match": employee_detail.headers["etag"]},
    )
    assert edited.status_code == 200, edited.text
    stale = await catalog.patch(
        detail_url,
        json={"summary": "Igjen."},
        headers={**coordinator, "If-Match": leader_detail.headers["etag"]},
    )
    assert stale.status_code == 412
    reread = await catalog.get(
        detail_url,
        headers={**tokens.header(email=emails["employee"]), "If-None-Match": employee_detail.headers["etag"]},
    )
    assert reread.status_code == 200
    assert reread.json()["summary"] == "Samtaler i små grupper, med veileder."
