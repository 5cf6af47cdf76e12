"""Keeps the session read model in step with the catalogue's events."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import Field, ValidationError
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from services.enrollment.enrollments import reactions, waitinglist
from services.enrollment.offerings.models import BookingUnit
from services.enrollment.sessions.models import SessionStatus, SessionView
from services.kernel.eventbus import Event, Subscription
from services.kernel.eventbus.envelope import ConsumedPayload


class ScheduledSession(ConsumedPayload):
    session_id: uuid.UUID
    offering_id: uuid.UUID
    offering_title: str
    offering_title_en: str | None = None
    offering_kind: str
    booking_unit: BookingUnit
    starts_at: datetime
    ends_at: datetime
    capacity: int
    venue: str | None = None
    room: str | None = None
    meeting_url: str | None = None
    position: int | None = None
    description: str | None = None
    description_en: str | None = None
    status: SessionStatus = SessionStatus.scheduled
    enrollment_opens_at: datetime | None = None
    enrollment_closes_at: datetime | None = None
    cancellation_deadline: datetime | None = None
    sequence: int = 0
    # Only on some topics: why a session was cancelled or moved, and where from.
    reason: str | None = None
    previous_starts_at: datetime | None = None
    previous_capacity: int | None = None
    # Set when several sessions changed in one step: the effects wait for the step's last event.
    change_id: uuid.UUID | None = None
    change_sessions: list[uuid.UUID] = Field(default_factory=list)


SESSION_TOPICS = (
    "catalog.session_scheduled",
    "catalog.session_updated",
    "catalog.session_rescheduled",
    "catalog.session_cancelled",
    "catalog.session_capacity_changed",
)


async def on_session_event(session: AsyncSession, event: Event) -> None:
    """Every session event carries the session's full facts: upsert them."""
    payload = ScheduledSession.model_validate(event.payload)
    values = {
        "offering_id": payload.offering_id,
        "offering_title": payload.offering_title,
        "offering_title_en": payload.offering_title_en,
        "description": payload.description,
        "description_en": payload.description_en,
        "offering_kind": payload.offering_kind,
        "booking_unit": payload.booking_unit,
        "starts_at": payload.starts_at,
        "ends_at": payload.ends_at,
        "capacity": payload.capacity,
        "venue": payload.venue,
        "room": payload.room,
        "meeting_url": payload.meeting_url,
        "position": payload.position,
        "status": payload.status,
        "enrollment_opens_at": payload.enrollment_opens_at,
        "enrollment_closes_at": payload.enrollment_closes_at,
        "cancellation_deadline": payload.cancellation_deadline,
        "catalog_sequence": payload.sequence,
    }
    await reactions.lock_for_session_changes(session, [(payload.session_id, payload.offering_id)])
    # Upsert: a replay rewrites the same facts; seat counts, owned here, are left alone. Events arrive in
    # commit order, so the last one wins; the sequence guard only protects against replays of older ones.
    known = await session.scalar(
        select(SessionView.catalog_sequence).where(SessionView.id == payload.session_id)
    )
    statement = insert(SessionView).values(id=payload.session_id, **values)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["id"],
            set_=values,
            where=col(SessionView.catalog_sequence) <= statement.excluded.catalog_sequence,
        )
    )
    # A replayed reschedule (same sequence) must not tell people twice; the other effects are idempotent.
    if event.topic != "catalog.session_rescheduled" or known is None or payload.sequence > known:
        await _effects(session, event.topic, payload)


async def _effects(session: AsyncSession, topic: str, payload: ScheduledSession) -> None:
    """What a session's change does to its enrollments (see the enrollment service's rules). A step that
    changed several sessions acts once, at its last event (the read model then holds them all)."""
    if payload.change_id is not None and payload.change_sessions:
        if payload.session_id != payload.change_sessions[-1]:
            return
        if topic == "catalog.session_cancelled":
            await reactions.sessions_cancelled(session, payload.change_sessions, payload.reason or "")
            return
        if topic == "catalog.session_rescheduled":
            await reactions.sessions_rescheduled(session, payload.change_sessions, payload.reason)
            return
    if topic == "catalog.session_cancelled":
        await reactions.session_cancelled(session, payload.session_id, payload.reason or "")
    elif topic == "catalog.session_rescheduled":
        await reactions.session_rescheduled(
            session, payload.session_id, previous_starts_at=payload.previous_starts_at, reason=payload.reason
        )
    elif topic == "catalog.session_capacity_changed":
        await waitinglist.seats_may_have_freed(session, payload.session_id)


async def lock_sessions_of(session: AsyncSession, events: list[Event]) -> None:
    """Every session a pass's events change, with their programmes' sessions, locked before any handler
    runs (in the service's lock order, not in the order of the events)."""
    changed: list[tuple[uuid.UUID, uuid.UUID]] = []
    for event in events:
        try:
            facts = ScheduledSession.model_validate(event.payload)
        except ValidationError:
            continue  # its handler fails on it the same way, and the bus dead-letters it
        changed.append((facts.session_id, facts.offering_id))
    await reactions.lock_for_session_changes(session, changed)


SESSIONS = Subscription(
    name="enrollment.sessions", topics=SESSION_TOPICS, handler=on_session_event, lock=lock_sessions_of
)
