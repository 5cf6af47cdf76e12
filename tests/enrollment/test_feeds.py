"""Personal calendar feeds: a secret address a calendar client reads without a token, showing the
person's own sessions as they change, and dead the moment it is revoked."""

from __future__ import annotations

import hashlib

import httpx
import icalendar
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.enrollment.conftest import World
from tests.enrollment.support import add_offering, add_session, enroll


def _events(body: bytes) -> dict[str, icalendar.cal.Component]:
    return {str(e["uid"]): e for e in icalendar.Calendar.from_ical(body).walk("VEVENT")}


async def test_a_feed_shows_my_sessions_without_a_token_until_revoked(
    enrollment: httpx.AsyncClient, world: World, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async with sessionmaker() as session, session.begin():
        offering = await add_offering(session, title="Fagdag: Tillitsbasert ledelse", audience="everyone")
        mine = await add_session(session, offering, venue="Rådhuset", meeting_url="https://teams.example/x")
        full = await add_session(session, offering, capacity=1, days=40)
        other = await add_session(session, offering, days=50)
    ola = world.as_(world.leader)
    await enroll(enrollment, ola, session_id=mine.id)
    await enroll(enrollment, world.as_(world.employee), session_id=full.id)
    await enroll(enrollment, ola, session_id=full.id)  # waits
    await enroll(enrollment, world.as_(world.employee), session_id=other.id)  # someone else's

    created = await enrollment.post("/calendar-feeds", headers=ola)
    assert created.status_code == 201, created.text
    url = created.json()["url"]
    secret = url.split("/calendar-feeds/", 1)[1].split("/", 1)[0]
    path = url.split("testserver", 1)[1]
    read = await enrollment.get(path)  # no token
    assert read.status_code == 200, read.text
    assert read.headers["content-type"].startswith("text/calendar")
    events = _events(read.content)
    assert set(events) == {
        f"session-{mine.id}@ledelsesutvikling.oslo.kommune.no",
        f"session-{full.id}@ledelsesutvikling.oslo.kommune.no",
    }
    held = events[f"session-{mine.id}@ledelsesutvikling.oslo.kommune.no"]
    assert str(held["status"]) == "CONFIRMED"
    assert str(held["location"]) == "Rådhuset"
    waiting = events[f"session-{full.id}@ledelsesutvikling.oslo.kommune.no"]
    assert str(waiting["status"]) == "TENTATIVE"
    assert str(waiting["transp"]) == "TRANSPARENT"
    assert "venteliste" in str(waiting["summary"])

    # Only the hash is kept; the list never shows the secret again.
    async with sessionmaker() as session:
        stored = await session.scalar(text("SELECT secret_hash FROM enrollment.calendar_feeds"))
    assert stored == hashlib.sha256(secret.encode()).digest()
    listed = await enrollment.get("/calendar-feeds", headers=ola)
    assert secret not in listed.text
    [feed] = listed.json()["items"]
    assert feed["last_read_at"] is not None

    # It follows changes: a cancelled place drops out.
    [enrolled] = [
        e
        for e in (await enrollment.get("/enrollments/mine", headers=ola)).json()["items"]
        if e["session_id"] == str(mine.id)
    ]
    assert (
        await enrollment.post(f"/enrollments/{enrolled['id']}/cancel", json={}, headers=ola)
    ).status_code == 200
    assert set(_events((await enrollment.get(path)).content)) == {
        f"session-{full.id}@ledelsesutvikling.oslo.kommune.no"
    }

    # Someone HR deactivates has no readable feed; back in HR, it reads again.
    async with sessionmaker() as session, session.begin():
        await session.execute(
            text("UPDATE enrollment.people SET active = false WHERE id = :id"), {"id": world.leader.id}
        )
    assert (await enrollment.get(path)).status_code == 404
    async with sessionmaker() as session, session.begin():
        await session.execute(
            text("UPDATE enrollment.people SET active = true WHERE id = :id"), {"id": world.leader.id}
        )
    assert (await enrollment.get(path)).status_code == 200

    # Someone else cannot revoke it; its owner can, at once.
    assert (
        await enrollment.delete(f"/calendar-feeds/{feed['id']}", headers=world.as_(world.employee))
    ).status_code == 404
    assert (await enrollment.delete(f"/calendar-feeds/{feed['id']}", headers=ola)).status_code == 204
    gone = await enrollment.get(path)
    assert gone.status_code == 404
    assert gone.json()["type"] == "urn:problem:calendar-feed-not-found"
    assert (await enrollment.get(path.replace(secret, "x" * 43))).status_code == 404


async def test_a_person_keeps_a_few_feeds_and_strangers_none(
    enrollment: httpx.AsyncClient, world: World
) -> None:
    ola = world.as_(world.leader)
    for _ in range(5):
        assert (await enrollment.post("/calendar-feeds", headers=ola)).status_code == 201
    refused = await enrollment.post("/calendar-feeds", headers=ola)
    assert refused.status_code == 409
    assert refused.json()["type"] == "urn:problem:too-many-calendar-feeds"
    stranger = world.tokens.header(email="ukjent@oslo.kommune.no")
    assert (await enrollment.post("/calendar-feeds", headers=stranger)).status_code == 403
    assert (await enrollment.get("/calendar-feeds/short/calendar.ics")).status_code == 422
