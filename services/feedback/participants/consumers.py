"""Records participants from `enrollment.confirmed` (later: attendance, for session evaluations)."""

from __future__ import annotations

import uuid

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.feedback.participants.models import Participant
from services.kernel.eventbus import Event, Subscription
from services.kernel.eventbus.envelope import ConsumedPayload


class ConfirmedEnrollment(ConsumedPayload):
    enrollment_id: uuid.UUID
    session_id: uuid.UUID
    offering_id: uuid.UUID
    person_id: uuid.UUID
    org_unit_id: uuid.UUID | None = None


async def on_enrollment_confirmed(session: AsyncSession, event: Event) -> None:
    payload = ConfirmedEnrollment.model_validate(event.payload)
    statement = insert(Participant).values(
        enrollment_id=payload.enrollment_id,
        session_id=payload.session_id,
        offering_id=payload.offering_id,
        person_id=payload.person_id,
        org_unit_id=payload.org_unit_id,
        confirmed_at=event.occurred_at,
    )
    # Keyed by enrolment: a replayed event finds its row and changes nothing.
    await session.execute(statement.on_conflict_do_nothing(index_elements=["enrollment_id"]))


PARTICIPANTS = Subscription(
    name="feedback.participants", topics=("enrollment.confirmed",), handler=on_enrollment_confirmed
)
