"""What a coordinator may do to a session's capacity and times during enrollment, and what the API says
about it: lowering below the confirmed seats needs an explicit flag and is then reported, and a session is
not rescheduled into the past."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.catalog.support import published_offering
from tests.support import TokenFactory


async def _confirmed(sessionmaker: async_sessionmaker[AsyncSession], session_id: str, seats: int) -> None:
    """The enrollment service reported this many confirmed seats (as its events would)."""
    async with sessionmaker() as session, session.begin():
        await session.execute(
            text(
                "UPDATE catalog.sessions SET seats_taken = :n, seats_version = seats_version + 1 "
                "WHERE id = :id"
            ),
            {"n": seats, "id": session_id},
        )


async def test_lowering_capacity_below_the_confirmed_seats_needs_a_flag_and_is_reported(
    catalog: httpx.AsyncClient, tokens: TokenFactory, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    _, [course] = await published_offering(catalog, tokens)
    await _confirmed(sessionmaker, course["id"], 30)
    headers = tokens.header("coordinator")
    path = f"/sessions/{course['id']}"
    etag = (await catalog.get(path, headers=headers)).headers["etag"]

    refused = await catalog.patch(path, json={"capacity": 25}, headers={**headers, "If-Match": etag})
    assert refused.status_code == 409
    body = refused.json()
    assert (body["type"], body["confirmed"], body["capacity"]) == (
        "urn:problem:capacity-below-confirmed",
        30,
        25,
    )
    assert "30" in body["detail"]

    exactly = await catalog.patch(path, json={"capacity": 30}, headers={**headers, "If-Match": etag})
    assert exactly.status_code == 200, exactly.text
    assert (exactly.json()["seats_available"], exactly.json()["overbooked_by"]) == (0, 0)

    etag = exactly.headers["etag"]
    lowered = await catalog.patch(
        path, json={"capacity": 25, "allow_overbooking": True}, headers={**headers, "If-Match": etag}
    )
    assert lowered.status_code == 200, lowered.text
    assert (lowered.json()["capacity"], lowered.json()["overbooked_by"]) == (25, 5)
    assert (await catalog.get(path, headers=headers)).json()["overbooked_by"] == 5


async def test_a_session_is_not_rescheduled_into_the_past(
    catalog: httpx.AsyncClient, tokens: TokenFactory
) -> None:
    _, [course] = await published_offering(catalog, tokens)
    past = datetime.now(UTC) - timedelta(hours=1)
    answer = await catalog.post(
        f"/sessions/{course['id']}/reschedule",
        json={
            "starts_at": past.isoformat(),
            "ends_at": (past + timedelta(hours=3)).isoformat(),
            "reason": "Feil dato",
        },
        headers=tokens.header("coordinator"),
    )
    assert answer.status_code == 409
    assert answer.json()["type"] == "urn:problem:session-start-in-past"
    unchanged = (await catalog.get(f"/sessions/{course['id']}", headers=tokens.header("coordinator"))).json()
    assert unchanged["starts_at"] == course["starts_at"]
