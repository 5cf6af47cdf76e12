"""Keeps each session's seat count in step with the enrollment service's events."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from services.catalog.sessions import repository
from services.kernel.eventbus import Event, Subscription
from services.kernel.eventbus.envelope import ConsumedPayload


class SeatCountChanged(ConsumedPayload):
    """What the catalogue reads from `enrollment.confirmed`: the session's new total, versioned."""

    session_id: uuid.UUID
    session_seats_confirmed: int
    session_seats_version: int


async def on_seat_count_changed(session: AsyncSession, event: Event) -> None:
    payload = SeatCountChanged.model_validate(event.payload)
    # Absolute, versioned counts: replaying or reordering events can never double-count a seat.
    await repository.set_seats_taken(
        session, payload.session_id, payload.session_seats_confirmed, payload.session_seats_version
    )


async def on_seat_counts_changed(session: AsyncSession, events: list[Event]) -> None:
    """A pass's events at once: only each session's newest count is written."""
    payloads = [SeatCountChanged.model_validate(event.payload) for event in events]
    await repository.set_seats_taken_many(
        session, [(p.session_id, p.session_seats_confirmed, p.session_seats_version) for p in payloads]
    )


# Every enrollment event that moves a session's seat count carries the new total.
SEATS = Subscription(
    name="catalog.seats",
    topics=("enrollment.confirmed", "enrollment.promoted", "enrollment.cancelled"),
    handler=on_seat_count_changed,
    handle_many=on_seat_counts_changed,
)
