"""Keeps who holds a confirmed place in which session, from the enrollment service's events."""

from __future__ import annotations

import uuid

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.feedback.participants.models import Participant
from services.kernel.eventbus import Event, Subscription
from services.kernel.eventbus.envelope import ConsumedPayload


class ConfirmedEnrollment(ConsumedPayload):
    enrollment_id: uuid.UUID
    # Events from before group enrollments carried no participation id: it equals the enrollment id.
    participation_id: uuid.UUID | None = None
    session_id: uuid.UUID
    offering_id: uuid.UUID
    person_id: uuid.UUID
    org_unit_id: uuid.UUID | None = None


async def on_enrollment_confirmed(session: AsyncSession, event: Event) -> None:
    payload = ConfirmedEnrollment.model_validate(event.payload)
    if event.topic == "enrollment.cancelled":
        await session.execute(
            delete(Participant).where(
                col(Participant.participation_id) == (payload.participation_id or payload.enrollment_id)
            )
        )
        return
    statement = insert(Participant).values(
        participation_id=payload.participation_id or payload.enrollment_id,
        enrollment_id=payload.enrollment_id,
        session_id=payload.session_id,
        offering_id=payload.offering_id,
        person_id=payload.person_id,
        org_unit_id=payload.org_unit_id,
        confirmed_at=event.occurred_at,
    )
    # Keyed by participation: a replayed event finds its row and changes nothing.
    await session.execute(statement.on_conflict_do_nothing(index_elements=["participation_id"]))


PARTICIPANTS = Subscription(
    name="feedback.participants",
    topics=("enrollment.confirmed", "enrollment.promoted", "enrollment.cancelled"),
    handler=on_enrollment_confirmed,
)
