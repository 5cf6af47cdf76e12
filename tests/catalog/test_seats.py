"""Free seats come from the enrollment service's events (a local read model), up and down."""

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
    """The part of enrollment's events the catalogue reads (the full contract is in openapi/events.json)."""

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


async def test_many_counts_in_one_pass_keep_each_sessions_newest(
    catalog: httpx.AsyncClient, tokens: TokenFactory, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """A rush publishes many counts per session in one transaction, in any version order; the consumer
    takes them together and each session ends at its newest count, never an older one."""
    _, [first, second] = await published_offering(catalog, tokens, sessions=2)
    a, b = uuid.UUID(first["id"]), uuid.UUID(second["id"])
    counts = [(a, 3, 3), (b, 1, 1), (a, 7, 7), (a, 5, 5), (b, 2, 2), (b, 6, 6), (a, 4, 4)]
    async with sessionmaker() as db, db.begin():
        for session_id, seats, version in counts:
            payload = SeatCount(
                session_id=session_id, session_seats_confirmed=seats, session_seats_version=version
            )
            await publish(db, payload, source="enrollment", aggregate_id=uuid.uuid4())

    async def taken() -> dict[str, int]:
        sessions = [(await catalog.get(f"/sessions/{s}", headers=tokens.header())).json() for s in (a, b)]
        return {s["id"]: s["seats_taken"] for s in sessions}

    async def settled() -> bool:
        return await taken() == {str(a): 7, str(b): 6}

    await eventually(settled)
    # Older counts arriving later are handled and change nothing.
    async with sessionmaker() as db, db.begin():
        for session_id, seats in ((a, 2), (b, 1)):
            payload = SeatCount(session_id=session_id, session_seats_confirmed=seats, session_seats_version=2)
            await publish(db, payload, source="enrollment", aggregate_id=uuid.uuid4())
        last = (await db.execute(text("SELECT max(id) FROM eventbus.events"))).scalar_one()

    async def consumed() -> bool:
        async with sessionmaker() as db:
            position = await db.execute(
                text("SELECT last_id FROM eventbus.subscriptions WHERE name = 'catalog.seats'")
            )
            return bool(position.scalar_one() >= last)

    await eventually(consumed)
    assert await settled()
