"""Free seats come from the enrolment service's events (a local read model), up and down."""

from __future__ import annotations

import uuid
from typing import ClassVar

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.kernel.eventbus import EventPayload, publish
from tests.catalog.support import published_offering
from tests.support import TokenFactory, eventually


class SeatCount(EventPayload):
    """The part of enrolment's events the catalogue reads (the full contract is in openapi/events.json)."""

    topic: ClassVar[str] = "enrollment.confirmed"
    aggregate_type: ClassVar[str] = "enrollment"

    session_id: uuid.UUID
    session_seats_confirmed: int
    session_seats_version: int


class SeatCountAfterCancel(SeatCount):
    topic: ClassVar[str] = "enrollment.cancelled"


async def test_seats_follow_confirmations_and_cancellations_in_version_order(
    catalog: httpx.AsyncClient, tokens: TokenFactory, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    _, [session] = await published_offering(catalog, tokens)
    session_id = uuid.UUID(session["id"])

    async def seats(expected: int) -> bool:
        body = (await catalog.get(f"/sessions/{session_id}", headers=tokens.header())).json()
        return bool(body["seats_taken"] == expected and body["seats_available"] == 30 - expected)

    async def send(payload: SeatCount) -> int:
        async with sessionmaker() as db, db.begin():
            event_id = await publish(db, payload, source="enrollment", aggregate_id=uuid.uuid4())
            pk: int = (
                await db.execute(text("SELECT id FROM eventbus.events WHERE event_id = :e"), {"e": event_id})
            ).scalar_one()
            return pk

    async def consumed(event_pk: int) -> bool:
        async with sessionmaker() as db:
            position = await db.execute(
                text("SELECT last_id FROM eventbus.subscriptions WHERE name = 'catalog.seats'")
            )
            return bool(position.scalar_one() >= event_pk)

    await send(SeatCount(session_id=session_id, session_seats_confirmed=2, session_seats_version=2))
    await eventually(lambda: seats(2))
    await send(
        SeatCountAfterCancel(session_id=session_id, session_seats_confirmed=1, session_seats_version=3)
    )
    await eventually(lambda: seats(1))
    await send(SeatCount(session_id=session_id, session_seats_confirmed=4, session_seats_version=5))
    await eventually(lambda: seats(4))
    # A late, older count (version 4) arrives after the newer one: it is handled and ignored.
    stale = await send(SeatCount(session_id=session_id, session_seats_confirmed=9, session_seats_version=4))
    await eventually(lambda: consumed(stale))
    assert await seats(4)
    listing = (await catalog.get("/offerings", headers=tokens.header())).json()
    assert listing["items"][0]["seats_available"] == 26
