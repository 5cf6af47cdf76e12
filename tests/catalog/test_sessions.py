"""Sessions: validation, programme series, edits with If-Match, rescheduling and cancelling, and events."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.catalog.support import SESSION, create_offering, published_offering, schedule
from tests.support import TokenFactory, create_leader, eventually


async def events_of(
    sessionmaker: async_sessionmaker[AsyncSession], aggregate_id: str
) -> list[dict[str, Any]]:
    async with sessionmaker() as session:
        rows = await session.execute(
            text("SELECT topic, payload FROM eventbus.events WHERE aggregate_id = :id ORDER BY id"),
            {"id": aggregate_id},
        )
        return [{"topic": row.topic, **row.payload} for row in rows]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"ends_at": "2027-03-04T08:00:00+01:00"}, "ends_at must be after starts_at"),
        ({"capacity": 0}, "greater than or equal to 1"),
        ({"enrollment_closes_at": "2027-03-04T09:00:00+01:00"}, "enrollment_closes_at must not be after"),
        (
            {
                "enrollment_opens_at": "2027-02-01T09:00:00+01:00",
                "enrollment_closes_at": "2027-01-01T09:00:00+01:00",
            },
            "enrollment_opens_at must be before",
        ),
        ({"cancellation_deadline": "2027-03-05T09:00:00+01:00"}, "cancellation_deadline must not be after"),
        ({"cancellation_deadline": "2026-01-01T09:00:00+01:00"}, "within 180 days"),
        (
            {
                "enrollment_opens_at": "2027-02-01T09:00:00+01:00",
                "cancellation_deadline": "2027-01-15T09:00:00+01:00",
            },
            "must not be before enrollment opens",
        ),
        ({"venue": None, "room": None}, "give a venue, a meeting_url, or both"),
        ({"meeting_url": "teams"}, "URL"),
        ({"starts_at": "2027-03-04T08:30:00"}, "timezone"),
        ({"ends_at": "2027-03-20T08:30:00+01:00"}, "at most 14 days"),
    ],
)
async def test_session_rules_are_explained(
    catalog: httpx.AsyncClient, tokens: TokenFactory, fields: dict[str, Any], message: str
) -> None:
    offering = (await create_offering(catalog, tokens)).json()
    body = {"offering_id": offering["id"], **SESSION, **fields}
    response = await catalog.post("/sessions", json=body, headers=tokens.header("coordinator"))
    assert response.status_code == 422
    assert message in " ".join(error["msg"] for error in response.json()["errors"])


async def test_times_are_stored_in_utc_and_shown_in_oslo_time(
    catalog: httpx.AsyncClient, tokens: TokenFactory, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    offering = (await create_offering(catalog, tokens)).json()
    session = await schedule(
        catalog, tokens, offering["id"], starts_at="2027-06-10T07:00:00Z", ends_at="2027-06-10T13:00:00Z"
    )
    assert session["starts_at"] == "2027-06-10T09:00:00+02:00"
    async with sessionmaker() as db:
        stored = (
            await db.execute(text("SELECT starts_at AT TIME ZONE 'UTC' FROM catalog.sessions"))
        ).scalar_one()
    assert stored.isoformat() == "2027-06-10T07:00:00"


async def test_programme_series_keeps_local_time_across_summer_time(
    catalog: httpx.AsyncClient, tokens: TokenFactory
) -> None:
    programme = (await create_offering(catalog, tokens, kind_code="leader-group-development")).json()
    response = await catalog.post(
        f"/offerings/{programme['id']}/sessions/series",
        json={
            "first_starts_at": "2027-09-02T08:30:00+02:00",
            "duration_minutes": 240,
            "interval_days": 42,
            "count": 6,
            "capacity": 60,
            "venue": "UKE",
            "enrollment_closes_at": "2027-09-01T12:00:00+02:00",
        },
        headers=tokens.header("coordinator"),
    )
    assert response.status_code == 201, response.text
    sessions = response.json()
    assert [s["position"] for s in sessions] == [1, 2, 3, 4, 5, 6]
    assert [s["starts_at"] for s in sessions] == [
        "2027-09-02T08:30:00+02:00",
        "2027-10-14T08:30:00+02:00",
        "2027-11-25T08:30:00+01:00",  # after summer time ends: still 08:30 on the wall clock
        "2028-01-06T08:30:00+01:00",
        "2028-02-17T08:30:00+01:00",
        "2028-03-30T08:30:00+02:00",
    ]
    assert {s["ends_at"][11:16] for s in sessions} == {"12:30"}
    listed = await catalog.get(f"/offerings/{programme['id']}/sessions", headers=tokens.header("coordinator"))
    assert [s["position"] for s in listed.json()["items"]] == [1, 2, 3, 4, 5, 6]


async def test_reschedule_keeps_the_session_and_raises_the_sequence(
    catalog: httpx.AsyncClient, tokens: TokenFactory, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    coordinator = tokens.header("coordinator")
    offering, [session] = await published_offering(catalog, tokens)
    edited = await catalog.patch(
        f"/sessions/{session['id']}",
        json={
            "enrollment_closes_at": "2027-03-03T12:00:00+01:00",
            "cancellation_deadline": "2027-02-27T12:00:00+01:00",
        },
        headers={**coordinator, "If-Match": '"v1.0"'},
    )
    assert edited.status_code == 200, edited.text
    moved = await catalog.post(
        f"/sessions/{session['id']}/reschedule",
        json={
            "starts_at": "2027-02-26T08:30:00+01:00",
            "ends_at": "2027-02-26T12:30:00+01:00",
            "reason": "Bystyremøte",
        },
        headers=coordinator,
    )
    assert moved.status_code == 200, moved.text
    body = moved.json()
    assert (body["id"], body["sequence"], body["starts_at"]) == (
        session["id"],
        1,
        "2027-02-26T08:30:00+01:00",
    )
    # The window and deadline could not stay after the new start: pulled back to it.
    assert body["enrollment_closes_at"] == body["cancellation_deadline"] == "2027-02-26T08:30:00+01:00"
    [rescheduled] = [
        e for e in await events_of(sessionmaker, session["id"]) if e["topic"] == "catalog.session_rescheduled"
    ]
    assert datetime.fromisoformat(rescheduled["previous_starts_at"]) == datetime(
        2027, 3, 4, 7, 30, tzinfo=UTC
    )
    assert datetime.fromisoformat(rescheduled["starts_at"]) == datetime(2027, 2, 26, 7, 30, tzinfo=UTC)
    assert rescheduled["reason"] == "Bystyremøte"
    history = (await catalog.get(f"/offerings/{offering['id']}/history", headers=coordinator)).json()["items"]
    assert history[0]["action"] == "session-rescheduled"
    assert history[0]["details"]["pulled_back_to_start"] == ["enrollment_closes_at", "cancellation_deadline"]


async def test_cancel_with_a_reason_and_enrollment_follows(
    catalog: httpx.AsyncClient,
    enrollment: httpx.AsyncClient,
    tokens: TokenFactory,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    coordinator = tokens.header("coordinator")
    async with sessionmaker() as db, db.begin():
        await create_leader(db, "leder@bydel-alna.oslo.kommune.no")
    _, [session] = await published_offering(catalog, tokens)
    missing_reason = await catalog.post(f"/sessions/{session['id']}/cancel", json={}, headers=coordinator)
    assert missing_reason.status_code == 422
    cancelled = await catalog.post(
        f"/sessions/{session['id']}/cancel", json={"reason": "For få påmeldte"}, headers=coordinator
    )
    assert cancelled.status_code == 200
    assert (cancelled.json()["status"], cancelled.json()["status_reason"], cancelled.json()["sequence"]) == (
        "cancelled",
        "For få påmeldte",
        1,
    )
    again = await catalog.post(f"/sessions/{session['id']}/cancel", json={"reason": "x"}, headers=coordinator)
    assert again.status_code == 409
    moved = await catalog.post(
        f"/sessions/{session['id']}/reschedule",
        json={
            "starts_at": "2027-03-05T08:30:00+01:00",
            "ends_at": "2027-03-05T12:30:00+01:00",
            "reason": "x",
        },
        headers=coordinator,
    )
    assert moved.json()["type"] == "urn:problem:session-not-scheduled"

    async def refused() -> dict[str, Any] | None:
        response = await enrollment.post(
            "/enrollments",
            json={"session_id": session["id"]},
            headers=tokens.header(email="leder@bydel-alna.oslo.kommune.no"),
        )
        body: dict[str, Any] = response.json()
        return body if body.get("type") == "urn:problem:session-not-open" else None

    await eventually(refused)


async def test_capacity_edit_needs_if_match_and_publishes_its_event(
    catalog: httpx.AsyncClient, tokens: TokenFactory, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    coordinator = tokens.header("coordinator")
    _, [session] = await published_offering(catalog, tokens)
    path = f"/sessions/{session['id']}"
    etag = (await catalog.get(path, headers=coordinator)).headers["etag"]
    assert (await catalog.patch(path, json={"capacity": 40}, headers=coordinator)).status_code == 428
    changed = await catalog.patch(path, json={"capacity": 40}, headers={**coordinator, "If-Match": etag})
    assert changed.status_code == 200
    assert changed.json()["capacity"] == 40
    assert (
        await catalog.patch(path, json={"capacity": 50}, headers={**coordinator, "If-Match": etag})
    ).status_code == 412
    bad = await catalog.patch(
        path,
        json={"enrollment_closes_at": "2027-03-05T09:00:00+01:00"},
        headers={**coordinator, "If-Match": changed.headers["etag"]},
    )
    assert bad.status_code == 422
    assert bad.json()["type"] == "urn:problem:invalid-session-times"
    [event] = [
        e
        for e in await events_of(sessionmaker, session["id"])
        if e["topic"] == "catalog.session_capacity_changed"
    ]
    assert (event["previous_capacity"], event["capacity"]) == (30, 40)
    assert (
        await catalog.get(path, headers={**coordinator, "If-None-Match": changed.headers["etag"]})
    ).status_code == 304


async def test_sessions_of_drafts_are_hidden_from_employees(
    catalog: httpx.AsyncClient, tokens: TokenFactory
) -> None:
    offering = (await create_offering(catalog, tokens)).json()
    session = await schedule(catalog, tokens, offering["id"])
    assert (await catalog.get(f"/sessions/{session['id']}", headers=tokens.header())).status_code == 404
    assert (
        await catalog.get(f"/offerings/{offering['id']}/sessions", headers=tokens.header())
    ).status_code == 404
    assert (
        await catalog.get(f"/sessions/{session['id']}", headers=tokens.header("coordinator"))
    ).status_code == 200


async def test_a_session_is_marked_completed_only_after_it_ended(
    catalog: httpx.AsyncClient, tokens: TokenFactory
) -> None:
    coordinator = tokens.header("coordinator")
    offering = (await create_offering(catalog, tokens)).json()
    future = await schedule(catalog, tokens, offering["id"])
    past = await schedule(
        catalog,
        tokens,
        offering["id"],
        starts_at="2026-01-08T09:00:00+01:00",
        ends_at="2026-01-08T12:00:00+01:00",
    )
    early = await catalog.post(f"/sessions/{future['id']}/complete", headers=coordinator)
    assert (early.status_code, early.json()["type"]) == (409, "urn:problem:session-not-over")
    done = await catalog.post(f"/sessions/{past['id']}/complete", headers=coordinator)
    assert (done.status_code, done.json()["status"]) == (200, "completed")
    assert (await catalog.post(f"/sessions/{past['id']}/complete", headers=coordinator)).status_code == 409
    assert (
        await catalog.post(f"/sessions/{past['id']}/complete", headers=tokens.header())
    ).status_code == 403


async def test_a_programme_moves_and_is_cancelled_in_one_step_or_not_at_all(
    catalog: httpx.AsyncClient, tokens: TokenFactory, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    coordinator = tokens.header("coordinator")
    offering, sessions = await published_offering(catalog, tokens, sessions=3)
    _, [foreign] = await published_offering(catalog, tokens)
    move = [
        {
            "session_id": s["id"],
            "starts_at": f"2027-04-0{n + 1}T09:00:00+02:00",
            "ends_at": f"2027-04-0{n + 1}T12:00:00+02:00",
        }
        for n, s in enumerate(sessions)
    ]
    url = f"/offerings/{offering['id']}/sessions/reschedule"
    # All or nothing: a session of another offering, one named twice, or one start in the past refuse it.
    refused = [
        (
            await catalog.post(
                url,
                json={"sessions": [*move, {**move[0], "session_id": foreign["id"]}], "reason": "x"},
                headers=coordinator,
            )
        ).status_code,
        (
            await catalog.post(url, json={"sessions": [move[0], move[0]], "reason": "x"}, headers=coordinator)
        ).status_code,
        (
            await catalog.post(
                url,
                json={
                    "sessions": [
                        *move[:2],
                        {
                            **move[2],
                            "starts_at": "2020-01-01T09:00:00+01:00",
                            "ends_at": "2020-01-01T10:00:00+01:00",
                        },
                    ],
                    "reason": "x",
                },
                headers=coordinator,
            )
        ).status_code,
        (await catalog.post(url, json={"sessions": [], "reason": "x"}, headers=coordinator)).status_code,
        (
            await catalog.post(url, json={"sessions": move, "reason": "x"}, headers=tokens.header())
        ).status_code,
    ]
    assert refused == [404, 422, 409, 422, 403]
    unchanged = await catalog.get(f"/sessions/{sessions[0]['id']}", headers=coordinator)
    assert unchanged.json()["starts_at"] == sessions[0]["starts_at"]

    moved = await catalog.post(
        url, json={"sessions": move, "reason": "Flyttet til april"}, headers=coordinator
    )
    assert moved.status_code == 200, moved.text
    assert [(s["starts_at"], s["sequence"]) for s in moved.json()] == [(m["starts_at"], 1) for m in move]
    events = [
        e
        for s in sessions
        for e in await events_of(sessionmaker, s["id"])
        if e["topic"] == "catalog.session_rescheduled"
    ]
    assert len({e["change_id"] for e in events}) == 1
    assert all(e["change_sessions"] == [s["id"] for s in sessions] for e in events)

    cancelled = await catalog.post(
        f"/offerings/{offering['id']}/sessions/cancel",
        json={"reason": "For få påmeldte"},
        headers=coordinator,
    )
    assert cancelled.status_code == 200, cancelled.text
    assert {s["status"] for s in cancelled.json()} == {"cancelled"}
    again = await catalog.post(
        f"/offerings/{offering['id']}/sessions/cancel", json={"reason": "Igjen"}, headers=coordinator
    )
    assert again.status_code == 409
    assert again.json()["type"] == "urn:problem:session-not-scheduled"
