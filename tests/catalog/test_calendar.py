"""iCalendar downloads, read back with the icalendar parser as a calendar client would."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
from icalendar import Calendar
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.catalog.support import create_offering, published_offering
from tests.support import TokenFactory


async def download(catalog: httpx.AsyncClient, tokens: TokenFactory, path: str) -> Calendar:
    response = await catalog.get(path, headers=tokens.header())
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    assert response.headers["content-disposition"].startswith("attachment; filename=")
    return Calendar.from_ical(response.content)


def events(calendar: Calendar) -> list[Any]:
    return list(calendar.walk("VEVENT"))


async def test_a_session_as_an_event_outlook_understands(
    catalog: httpx.AsyncClient, tokens: TokenFactory
) -> None:
    _, [session] = await published_offering(
        catalog, tokens, title="Temasamling: Effektive ledergrupper", summary="Felles arena for toppledere."
    )
    calendar = await download(catalog, tokens, f"/sessions/{session['id']}/calendar.ics")
    [event] = events(calendar)
    assert str(event["uid"]) == f"session-{session['id']}@ledelsesutvikling.oslo.kommune.no"
    assert str(event["summary"]) == "Temasamling: Effektive ledergrupper"
    assert event["dtstart"].params["TZID"] == "Europe/Oslo"
    assert event.decoded("dtstart") == datetime.fromisoformat("2027-03-04T08:30:00+01:00")
    assert event.decoded("dtend") == datetime.fromisoformat("2027-03-04T12:30:00+01:00")
    assert str(event["location"]) == "Utviklings- og kompetanseetaten, Grensen 13, Store sal"
    assert int(event["sequence"]) == 0
    assert str(event["status"]) == "CONFIRMED"
    [timezone] = list(calendar.walk("VTIMEZONE"))
    assert str(timezone["tzid"]) == "Europe/Oslo"
    assert {c.name for c in timezone.subcomponents} == {"STANDARD", "DAYLIGHT"}


async def test_reschedule_updates_the_same_event_and_cancel_marks_it_cancelled(
    catalog: httpx.AsyncClient, tokens: TokenFactory
) -> None:
    coordinator = tokens.header("coordinator")
    _, [session] = await published_offering(catalog, tokens)
    path = f"/sessions/{session['id']}/calendar.ics"
    [before] = events(await download(catalog, tokens, path))
    await catalog.post(
        f"/sessions/{session['id']}/reschedule",
        json={
            "starts_at": "2027-03-11T08:30:00+01:00",
            "ends_at": "2027-03-11T12:30:00+01:00",
            "reason": "Kollisjon",
        },
        headers=coordinator,
    )
    [after] = events(await download(catalog, tokens, path))
    assert after["uid"] == before["uid"]
    assert int(after["sequence"]) == int(before["sequence"]) + 1
    assert after.decoded("dtstart") == datetime.fromisoformat("2027-03-11T08:30:00+01:00")
    await catalog.post(
        f"/sessions/{session['id']}/cancel", json={"reason": "For få påmeldte"}, headers=coordinator
    )
    [cancelled] = events(await download(catalog, tokens, path))
    assert cancelled["uid"] == before["uid"]
    assert int(cancelled["sequence"]) == 2
    assert str(cancelled["status"]) == "CANCELLED"
    assert "For få påmeldte" in str(cancelled["description"])


async def test_a_programme_as_one_calendar_with_numbered_sessions(
    catalog: httpx.AsyncClient, tokens: TokenFactory
) -> None:
    coordinator = tokens.header("coordinator")
    programme = (
        await create_offering(
            catalog, tokens, kind_code="leader-group-development", title="Ledergruppeutvikling"
        )
    ).json()
    await catalog.post(
        f"/offerings/{programme['id']}/sessions/series",
        json={
            "first_starts_at": "2027-09-02T08:30:00+02:00",
            "duration_minutes": 240,
            "interval_days": 42,
            "count": 3,
            "capacity": 60,
            "meeting_url": "https://teams.microsoft.com/l/meetup-join/x",
        },
        headers=coordinator,
    )
    await catalog.post(f"/offerings/{programme['id']}/publish", headers=coordinator)
    calendar = await download(catalog, tokens, f"/offerings/{programme['id']}/calendar.ics")
    summaries = [str(e["summary"]) for e in events(calendar)]
    assert summaries == [f"Ledergruppeutvikling – samling {n} av 3" for n in (1, 2, 3)]
    assert len({str(e["uid"]) for e in events(calendar)}) == 3
    first = events(calendar)[0]
    assert str(first["url"]) == "https://teams.microsoft.com/l/meetup-join/x"
    assert str(first["location"]) == "https://teams.microsoft.com/l/meetup-join/x"


async def test_calendars_follow_visibility_and_answer_if_none_match(
    catalog: httpx.AsyncClient, tokens: TokenFactory
) -> None:
    draft = (await create_offering(catalog, tokens)).json()
    assert (
        await catalog.get(f"/offerings/{draft['id']}/calendar.ics", headers=tokens.header())
    ).status_code == 404
    offering, _ = await published_offering(catalog, tokens)
    first = await catalog.get(f"/offerings/{offering['id']}/calendar.ics", headers=tokens.header())
    again = await catalog.get(
        f"/offerings/{offering['id']}/calendar.ics",
        headers={**tokens.header(), "If-None-Match": first.headers["etag"]},
    )
    assert again.status_code == 304


async def test_single_line_fields_refuse_line_breaks_and_stored_ones_never_break_a_calendar(
    catalog: httpx.AsyncClient, tokens: TokenFactory, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    body = {"kind_code": "theme-gathering", "title": "Fagdag\r\nX-Evil: 1", "summary": "S."}
    refused = await catalog.post("/offerings", json=body, headers=tokens.header("coordinator"))
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["loc"] == ["body", "title"]
    offering, [session] = await published_offering(catalog, tokens, title="Fagdag: Tillitsbasert ledelse")
    # Stored before the rule, or written by other means: the calendar is still built.
    async with sessionmaker() as db, db.begin():
        await db.execute(
            text("UPDATE catalog.offerings SET title = :t WHERE id = :id"),
            {"t": "Fagdag\r\nfor æøå\rledere", "id": offering["id"]},
        )
        await db.execute(
            text("UPDATE catalog.sessions SET venue = :v WHERE id = :id"),
            {"v": "Rådhuset\n2. etg", "id": session["id"]},
        )
    response = await catalog.get(f"/offerings/{offering['id']}/calendar.ics", headers=tokens.header())
    assert response.status_code == 200
    [event] = events(Calendar.from_ical(response.content))
    assert str(event["summary"]) == "Fagdag for æøå ledere"
    assert str(event["location"]).startswith("Rådhuset 2. etg")
    disposition = response.headers["content-disposition"]
    assert disposition == (
        'attachment; filename="Fagdag-for-aeoaa-ledere.ics"; '
        "filename*=UTF-8''Fagdag-for-%C3%A6%C3%B8%C3%A5-ledere.ics"
    )
