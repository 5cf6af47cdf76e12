"""Keeps the session read model in step with the catalogue's events."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.enrollment.sessions.models import SessionView
from services.kernel.eventbus import Event, Subscription
from services.kernel.eventbus.envelope import ConsumedPayload


class ScheduledSession(ConsumedPayload):
    session_id: uuid.UUID
    offering_id: uuid.UUID
    offering_title: str
    offering_kind: str
    booking_unit: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    venue: str | None = None


async def on_session_scheduled(session: AsyncSession, event: Event) -> None:
    payload = ScheduledSession.model_validate(event.payload)
    values = {
        "offering_id": payload.offering_id,
        "offering_title": payload.offering_title,
        "offering_kind": payload.offering_kind,
        "booking_unit": payload.booking_unit,
        "starts_at": payload.starts_at,
        "ends_at": payload.ends_at,
        "capacity": payload.capacity,
        "venue": payload.venue,
    }
    # Upsert: a replay rewrites the same facts; seat counts, owned here, are left alone.
    statement = insert(SessionView).values(id=payload.session_id, **values)
    await session.execute(statement.on_conflict_do_update(index_elements=["id"], set_=values))


SESSIONS = Subscription(
    name="enrollment.sessions", topics=("catalog.session_scheduled",), handler=on_session_scheduled
)
