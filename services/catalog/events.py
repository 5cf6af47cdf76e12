"""Events the catalogue publishes (payload contracts; see openapi/events.json)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import ClassVar

from pydantic import Field

from services.kernel.eventbus import EventPayload

SOURCE = "catalog"


class OfferingSnapshot(EventPayload):
    """The facts other services keep about an offering (audience rules, booking unit, programme)."""

    aggregate_type: ClassVar[str] = "offering"

    offering_id: uuid.UUID
    kind_code: str
    title: str
    title_en: str | None = Field(default=None, description="The English title, where one was written.")
    audience: str
    audience_org_unit_ids: list[uuid.UUID]
    booking_unit: str
    format: str
    is_programme: bool
    # Arranged on request (the kind needs no dated sessions, e.g. coaching): requested, not enrolled in.
    on_request: bool = False
    completion_min_sessions: int | None
    themes: list[str]
    status: str
    offering_version: int


class OfferingPublished(OfferingSnapshot):
    """An offering became visible to every employee."""

    topic: ClassVar[str] = "catalog.offering_published"


class OfferingUpdated(OfferingSnapshot):
    """A published offering changed; `changed` names the fields."""

    topic: ClassVar[str] = "catalog.offering_updated"

    changed: list[str]


class OfferingArchived(OfferingSnapshot):
    """An offering was archived: no new sessions or enrollments; it stays readable with its history."""

    topic: ClassVar[str] = "catalog.offering_archived"


class SessionFacts(EventPayload):
    """Where and when a session is, and the rules of signing up for it."""

    aggregate_type: ClassVar[str] = "session"

    session_id: uuid.UUID
    offering_id: uuid.UUID
    offering_title: str
    offering_title_en: str | None = Field(default=None, description="Where one was written.")
    offering_kind: str
    booking_unit: str
    position: int | None
    description: str | None = None
    description_en: str | None = None
    starts_at: datetime
    ends_at: datetime
    capacity: int
    venue: str | None
    room: str | None
    meeting_url: str | None
    enrollment_opens_at: datetime | None
    enrollment_closes_at: datetime | None
    cancellation_deadline: datetime | None
    status: str
    sequence: int
    change_id: uuid.UUID | None = Field(
        default=None,
        description="Set when a coordinator changed several sessions of an offering in one step (a "
        "programme moved or cancelled as a whole): every event of that step carries the same id.",
    )
    change_sessions: list[uuid.UUID] = Field(
        default_factory=list,
        description="With `change_id`: every session the step changed, in the order their events are "
        "published (the last event of the step is the last one's).",
    )


class SessionScheduled(SessionFacts):
    """A session was scheduled: enrollment learns its time, capacity and window from this."""

    topic: ClassVar[str] = "catalog.session_scheduled"


class SessionUpdated(SessionFacts):
    """Place, link, enrollment window or cancellation deadline of a session changed."""

    topic: ClassVar[str] = "catalog.session_updated"


class SessionRescheduled(SessionFacts):
    """A session moved: old and new times, and why. Participants keep their seats and are told."""

    topic: ClassVar[str] = "catalog.session_rescheduled"

    previous_starts_at: datetime
    previous_ends_at: datetime
    reason: str


class SessionCancelled(SessionFacts):
    """A session was cancelled, with the reason; its enrollments are cancelled by the enrollment service."""

    topic: ClassVar[str] = "catalog.session_cancelled"

    reason: str


class SessionCapacityChanged(SessionFacts):
    """A session's capacity changed (seats or group slots)."""

    topic: ClassVar[str] = "catalog.session_capacity_changed"

    previous_capacity: int


PUBLISHED: tuple[type[EventPayload], ...] = (
    OfferingPublished,
    OfferingUpdated,
    OfferingArchived,
    SessionScheduled,
    SessionUpdated,
    SessionRescheduled,
    SessionCancelled,
    SessionCapacityChanged,
)
SESSION_TOPICS = tuple(
    p.topic
    for p in (SessionScheduled, SessionUpdated, SessionRescheduled, SessionCancelled, SessionCapacityChanged)
)
