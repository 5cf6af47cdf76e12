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


class EnrollmentCancelled(EventPayload):
    """An enrolment was cancelled, with the reason. Carries the session's new seat total, versioned."""

    topic: ClassVar[str] = "enrollment.cancelled"
    aggregate_type: ClassVar[str] = "enrollment"

    enrollment_id: uuid.UUID
    session_id: uuid.UUID
    offering_id: uuid.UUID
    person_id: uuid.UUID
    seats: int
    reason: str
    session_seats_confirmed: int
    session_seats_version: int


class OrgUnitFacts(EventPayload):
    """An org unit as the directory holds it now (feedback aggregates by unit and sector)."""

    aggregate_type: ClassVar[str] = "org-unit"

    org_unit_id: uuid.UUID
    external_id: str
    name: str
    kind: str
    sector: str | None
    parent_id: uuid.UUID | None
    active: bool


class OrgUnitUpserted(OrgUnitFacts):
    topic: ClassVar[str] = "enrollment.org_unit_upserted"


class OrgUnitDeactivated(OrgUnitFacts):
    topic: ClassVar[str] = "enrollment.org_unit_deactivated"


class PersonFacts(EventPayload):
    """Where a person belongs (no names or e-mail addresses travel in events)."""

    aggregate_type: ClassVar[str] = "person"

    person_id: uuid.UUID
    org_unit_id: uuid.UUID | None
    manager_id: uuid.UUID | None
    active: bool


class PersonUpserted(PersonFacts):
    topic: ClassVar[str] = "enrollment.person_upserted"


class PersonDeactivated(PersonFacts):
    topic: ClassVar[str] = "enrollment.person_deactivated"


class LeaderGroupFacts(EventPayload):
    """A top-leader group: its unit, its top leader and its members (people ids, once resolved)."""

    aggregate_type: ClassVar[str] = "leader-group"

    leader_group_id: uuid.UUID
    org_unit_id: uuid.UUID | None
    leader_id: uuid.UUID | None
    member_ids: list[uuid.UUID]
    active: bool


class LeaderGroupUpserted(LeaderGroupFacts):
    topic: ClassVar[str] = "enrollment.leader_group_upserted"


class LeaderGroupDeactivated(LeaderGroupFacts):
    topic: ClassVar[str] = "enrollment.leader_group_deactivated"


PUBLISHED: tuple[type[EventPayload], ...] = (
    EnrollmentConfirmed,
    EnrollmentCancelled,
    OrgUnitUpserted,
    OrgUnitDeactivated,
    PersonUpserted,
    PersonDeactivated,
    LeaderGroupUpserted,
    LeaderGroupDeactivated,
)
