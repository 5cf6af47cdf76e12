"""Events the enrolment service publishes (payload contracts; see openapi/events.json)."""

from __future__ import annotations

import uuid
from typing import ClassVar

from services.kernel.eventbus import EventPayload

SOURCE = "enrollment"


class EnrollmentConfirmed(EventPayload):
    """A person holds a confirmed seat in a session. Carries the session's new seat total, versioned."""

    topic: ClassVar[str] = "enrollment.confirmed"
    aggregate_type: ClassVar[str] = "enrollment"

    enrollment_id: uuid.UUID
    session_id: uuid.UUID
    offering_id: uuid.UUID
    person_id: uuid.UUID
    org_unit_id: uuid.UUID | None
    seats: int
    session_seats_confirmed: int
    session_seats_version: int


PUBLISHED = (EnrollmentConfirmed,)
