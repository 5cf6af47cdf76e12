"""Invitations that land in calendars: a leader group joins a programme, the programme moves, a session is
cancelled and a member leaves; the SMTP server's messages, applied in order to a calendar the way a
client applies iTIP (by UID, SEQUENCE and DTSTAMP), leave each person's calendar agreeing with the
catalogue."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from functools import partial
from typing import Any

import httpx
import icalendar
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.enrollment.directory.models import Person
from services.kernel.languages import Language
from tests.mailbox import Inbox, calendar_parts, plain
from tests.support import TokenFactory, create_leader, create_org_unit, create_person, eventually


@dataclass
class Entry:
    sequence: int
    stamp: datetime
    event: icalendar.cal.Component | None  # None: cancelled


@dataclass
class ClientCalendar:
    """What a calendar client keeps of iTIP messages: per UID, the latest by (SEQUENCE, DTSTAMP)."""

    owner: str
    entries: dict[str, Entry] = field(default_factory=dict)
    applied: int = 0

    def apply(self, method: str, data: bytes) -> None:
        calendar = icalendar.Calendar.from_ical(data)
        assert str(calendar["method"]) == method
        [event] = calendar.walk("VEVENT")
        # What every client checks before acting on a message.
        assert str(event["organizer"]) == "mailto:lederutvikling@oslo.kommune.no"
        assert [str(a) for a in _list(event["attendee"])] == [f"mailto:{self.owner}"]
        uid, sequence, stamp = str(event["uid"]), int(str(event["sequence"])), event.decoded("dtstamp")
        assert uid.startswith("session-")
        assert uid.endswith("@ledelsesutvikling.oslo.kommune.no")
        known = self.entries.get(uid)
        # Each message about an entry supersedes the one before: a client would ignore it otherwise.
        assert known is None or (sequence, stamp) > (known.sequence, known.stamp), (uid, method, sequence)
        self.entries[uid] = Entry(sequence, stamp, event if method == "REQUEST" else None)
        self.applied += 1

    def events(self) -> dict[str, tuple[datetime, datetime]]:
        return {
            uid: (entry.event.decoded("dtstart"), entry.event.decoded("dtend"))
            for uid, entry in self.entries.items()
            if entry.event is not None
        }


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


async def _ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


async def test_a_groups_calendar_follows_the_programme_through_every_change(
    catalog: httpx.AsyncClient,
    mailing_enrollment: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    tokens: TokenFactory,
    smtp: tuple[Inbox, int],
) -> None:
    inbox, _ = smtp
    enrollment = mailing_enrollment
    async with sessionmaker() as session, session.begin():
        unit = await create_org_unit(session, "Bydel Frogner")
        kari = await create_person(session, "kari@bydel-frogner.oslo.kommune.no", org_unit=unit, name="Kari")
        john = await create_person(
            session, "john@bydel-frogner.oslo.kommune.no", org_unit=unit, name="John", language=Language.en
        )
        leader = await create_leader(
            session, "leder@bydel-frogner.oslo.kommune.no", org_unit=unit, name="Liv", members=[kari, john]
        )
        group_id = await session.scalar(
            text("SELECT id FROM enrollment.leader_groups WHERE leader_id = :id"), {"id": leader.id}
        )
    people: list[Person] = [leader, kari, john]
    coordinator = tokens.header("coordinator")
    offering = await _ok(
        await catalog.post(
            "/offerings",
            json={
                "kind_code": "leader-group-development",
                "title": "Ledergruppeutvikling",
                "summary": "Program for toppledergrupper.",
                "title_en": "Leader group development",
            },
            headers=coordinator,
        ),
        201,
    )
    first = datetime.now(UTC).replace(microsecond=0) + timedelta(weeks=5)
    sessions = [
        await _ok(
            await catalog.post(
                "/sessions",
                json={
                    "offering_id": offering["id"],
                    "starts_at": (first + timedelta(weeks=4 * n)).isoformat(),
                    "ends_at": (first + timedelta(weeks=4 * n, hours=3)).isoformat(),
                    "capacity": 10,
                    "venue": "Rådhuset",
                    "meeting_url": "https://teams.microsoft.com/l/meetup-join/ledergruppe",
                    "description": f"Samling {n + 1}: Tillit i ledergruppen",
                    "description_en": f"Session {n + 1}: Trust in the leader group",
                },
                headers=coordinator,
            ),
            201,
        )
        for n in range(3)
    ]
    await _ok(await catalog.post(f"/offerings/{offering['id']}/publish", headers=coordinator))
    liv = tokens.header(email=leader.email)

    async def enrolled() -> Any:
        response = await enrollment.post(
            "/enrollments",
            json={"offering_id": offering["id"], "leader_group_id": str(group_id)},
            headers=liv,
        )
        if response.status_code == 503 or (
            response.status_code == 409 and "session" in response.json().get("type", "")
        ):
            return None
        return await _ok(response, 201)

    async def all_known() -> bool:
        async with sessionmaker() as session:
            known = await session.scalar(
                text("SELECT count(*) FROM enrollment.sessions WHERE offering_id = :o"), {"o": offering["id"]}
            )
        return bool(known == 3)

    await eventually(all_known)
    joined = await eventually(enrolled)
    assert joined["status"] == "confirmed"

    async def mails(count: int) -> list[EmailMessage] | None:
        return list(inbox.messages) if len(inbox.messages) >= count else None

    # Joined as a whole: one mail each, with an invitation for every session.
    received = await eventually(lambda: mails(3))
    calendars = {p.email: ClientCalendar(p.email) for p in people}
    for message in received:
        to = message["To"].addresses[0].addr_spec
        assert message.get_content_type() == "multipart/mixed"
        assert message.get_body(preferencelist=("html",)) is not None
        parts = calendar_parts(message)
        assert [method for method, _ in parts] == ["REQUEST"] * 3
        for method, data in parts:
            calendars[to].apply(method, data)
    english = next(m for m in received if m["To"].addresses[0].addr_spec == john.email)
    # Each person reads the offering's and the sessions' texts in their own language, calendars included.
    assert english["Subject"] == "Enrolment confirmed: Leader group development"
    assert english["Content-Language"] == "en"
    assert "Session 1: Trust in the leader group" in plain(english)
    [(_, first_invitation), *_] = calendar_parts(english)
    [event] = icalendar.Calendar.from_ical(first_invitation).walk("VEVENT")
    assert str(event["summary"]) == "Leader group development – session 1 of 3"
    assert "Session 1: Trust in the leader group" in str(event["description"])
    mine = await enrollment.get(
        "/enrollments/mine", headers={**tokens.header(email=john.email), "Accept-Language": "en"}
    )
    assert [e["offering_title"] for e in mine.json()["items"]] == ["Leader group development"]
    assert mine.headers["content-language"] == "en"
    norwegian = next(m for m in received if m["To"].addresses[0].addr_spec == kari.email)
    assert norwegian["Subject"] == "Påmelding bekreftet: Ledergruppeutvikling"
    text_part = plain(norwegian)
    assert "Samling 1: Tillit i ledergruppen" in text_part
    assert "Leader group" not in text_part
    assert "Rådhuset" in text_part
    assert "teams.microsoft.com" in text_part
    assert "Mine påmeldinger" in text_part
    oslo_start = datetime.fromisoformat(sessions[0]["starts_at"])
    assert f"kl. {oslo_start:%H:%M}" in text_part  # the catalogue answers in Oslo time

    # The programme moves as a whole: one mail each, with an update for every session moved.
    moves = [
        {
            "session_id": s["id"],
            "starts_at": (datetime.fromisoformat(s["starts_at"]) + timedelta(days=1)).isoformat(),
            "ends_at": (datetime.fromisoformat(s["ends_at"]) + timedelta(days=1)).isoformat(),
        }
        for s in sessions[1:]
    ]
    await _ok(
        await catalog.post(
            f"/offerings/{offering['id']}/sessions/reschedule",
            json={"sessions": moves, "reason": "Kollisjon med budsjettarbeidet"},
            headers=coordinator,
        )
    )
    received = await eventually(lambda: mails(6))
    for message in received[3:]:
        assert message["Subject"].startswith(("Nye tidspunkter", "New times"))
        parts = calendar_parts(message)
        assert [method for method, _ in parts] == ["REQUEST", "REQUEST"]
        for method, data in parts:
            calendars[message["To"].addresses[0].addr_spec].apply(method, data)

    # One session is cancelled: a cancellation each.
    await _ok(
        await catalog.post(
            f"/sessions/{sessions[0]['id']}/cancel", json={"reason": "Sykdom"}, headers=coordinator
        )
    )
    received = await eventually(lambda: mails(9))
    for message in received[6:]:
        [(method, data)] = calendar_parts(message)
        assert method == "CANCEL"
        calendars[message["To"].addresses[0].addr_spec].apply(method, data)

    # A member leaves the group's enrollment: their calendar loses every session.
    await _ok(
        await enrollment.post(
            f"/enrollments/{joined['id']}/cancel", json={"person_id": str(kari.id)}, headers=liv
        )
    )
    received = await eventually(lambda: mails(10))
    [left] = received[9:]
    assert left["To"].addresses[0].addr_spec == kari.email
    assert [method for method, _ in calendar_parts(left)] == ["CANCEL", "CANCEL"]
    for method, data in calendar_parts(left):
        calendars[kari.email].apply(method, data)

    # The catalogue's own calendar is what the members' calendars now show.
    published = await catalog.get(f"/offerings/{offering['id']}/calendar.ics", headers=liv)
    catalogue = {
        str(e["uid"]): (e.decoded("dtstart"), e.decoded("dtend"))
        for e in icalendar.Calendar.from_ical(published.content).walk("VEVENT")
        if str(e["status"]) == "CONFIRMED"
    }
    assert len(catalogue) == 2
    for person in (leader, john):
        assert calendars[person.email].events() == catalogue
    assert calendars[kari.email].events() == {}
    assert sum(c.applied for c in calendars.values()) == 3 * 3 + 3 * 2 + 3 + 2


async def test_someone_who_leaves_and_joins_again_gets_the_session_back_in_their_calendar(
    catalog: httpx.AsyncClient,
    mailing_enrollment: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    tokens: TokenFactory,
    smtp: tuple[Inbox, int],
) -> None:
    """The catalogue's SEQUENCE does not change when one person leaves, so a rejoin's REQUEST must still
    outrank the CANCEL before it: each person's numbers rise with every message."""
    inbox, _ = smtp
    async with sessionmaker() as session, session.begin():
        leader = await create_leader(session, "toppleder@uke.oslo.kommune.no", name="Tone")
    coordinator = tokens.header("coordinator")
    offering = await _ok(
        await catalog.post(
            "/offerings",
            json={"kind_code": "professional-day", "title": "Fagdag: Tillit", "summary": "For alle ledere."},
            headers=coordinator,
        ),
        201,
    )
    starts = datetime.now(UTC).replace(microsecond=0) + timedelta(weeks=3)
    course = await _ok(
        await catalog.post(
            "/sessions",
            json={
                "offering_id": offering["id"],
                "starts_at": starts.isoformat(),
                "ends_at": (starts + timedelta(hours=6)).isoformat(),
                "capacity": 50,
                "venue": "Oslo rådhus",
            },
            headers=coordinator,
        ),
        201,
    )
    await _ok(await catalog.post(f"/offerings/{offering['id']}/publish", headers=coordinator))
    tone = tokens.header(email=leader.email)
    calendar = ClientCalendar(leader.email)

    async def enrol() -> Any:
        response = await mailing_enrollment.post(
            "/enrollments", json={"session_id": course["id"]}, headers=tone
        )
        return None if response.status_code == 503 else await _ok(response, 201)

    async def mails(count: int) -> list[EmailMessage] | None:
        return list(inbox.messages) if len(inbox.messages) >= count else None

    for round_ in range(2):
        enrolled = await eventually(enrol)
        await _ok(
            await mailing_enrollment.post(f"/enrollments/{enrolled['id']}/cancel", json={}, headers=tone)
        )
        await eventually(partial(mails, 2 * round_ + 2))
    enrolled = await eventually(enrol)
    received = await eventually(lambda: mails(5))
    for message in received:
        for method, data in calendar_parts(message):
            calendar.apply(method, data)
    assert [m for msg in received for m, _ in calendar_parts(msg)] == ["REQUEST", "CANCEL"] * 2 + ["REQUEST"]
    uid = f"session-{course['id']}@ledelsesutvikling.oslo.kommune.no"
    assert list(calendar.events()) == [uid]
    assert calendar.entries[uid].sequence == 4  # one above the last, every time
    assert uuid.UUID(enrolled["id"])
