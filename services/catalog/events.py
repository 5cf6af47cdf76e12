"""Events the catalogue publishes (payload contracts; see openapi/events.json)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import ClassVar

from services.kernel.eventbus import EventPayload

SOURCE = "catalog"


class SessionScheduled(EventPayload):
    """A session was scheduled: enrolment learns its time and capacity from this."""

    topic: ClassVar[str] = "catalog.session_scheduled"
    aggregate_type: ClassVar[str] = "session"

    session_id: uuid.UUID
    offering_id: uuid.UUID
    offering_title: str
    offering_kind: str
    booking_unit: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    venue: str | None


PUBLISHED = (SessionScheduled,)
