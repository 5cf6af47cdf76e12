"""Events the enrollment service publishes (payload contracts; see openapi/events.json)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

from pydantic import BaseModel, Field

from services.kernel.eventbus import EventPayload

SOURCE = "enrollment"


class ParticipationFacts(EventPayload):
    """One person's place in one session under an enrollment, with the session's seat total (versioned)."""

    aggregate_type: ClassVar[str] = "enrollment"

    enrollment_id: uuid.UUID
    participation_id: uuid.UUID
    session_id: uuid.UUID
    offering_id: uuid.UUID
    person_id: uuid.UUID
    org_unit_id: uuid.UUID | None
    leader_group_id: uuid.UUID | None
    seats: int = Field(description="Seats the whole enrollment takes in the session.")
    programme: bool = Field(
        default=False, description="The enrollment is for the whole programme (a place in each session)."
    )
    session_starts_at: datetime | None = None
    session_seats_confirmed: int
    session_seats_version: int


class EnrollmentConfirmed(ParticipationFacts):
    """A person holds a confirmed seat in a session (enrolled with room to spare)."""

    topic: ClassVar[str] = "enrollment.confirmed"


class EnrollmentWaitlisted(ParticipationFacts):
    """The session was full: the person waits, at `position` on the session's (or programme's) list."""

    topic: ClassVar[str] = "enrollment.waitlisted"

    position: int


class EnrollmentPromoted(ParticipationFacts):
    """A waiting person got a seat (freed seats, raised capacity, or a coordinator's override)."""

    topic: ClassVar[str] = "enrollment.promoted"

    by_coordinator: bool


class EnrollmentCancelled(ParticipationFacts):
    """A person's place (confirmed or waiting) was cancelled, with the reason."""

    topic: ClassVar[str] = "enrollment.cancelled"

    previous_status: str
    reason: str


class AttendanceRecord(BaseModel):
    participation_id: uuid.UUID
    person_id: uuid.UUID
    org_unit_id: uuid.UUID | None
    attendance: str


class AttendanceRecorded(EventPayload):
    """A coordinator marked attendance for some participants of a session (feedback invites attendees)."""

    topic: ClassVar[str] = "enrollment.attendance_recorded"
    aggregate_type: ClassVar[str] = "session"

    session_id: uuid.UUID
    offering_id: uuid.UUID
    records: list[AttendanceRecord]


class CompletionFacts(EventPayload):
    aggregate_type: ClassVar[str] = "completion"

    completion_id: uuid.UUID
    person_id: uuid.UUID
    offering_id: uuid.UUID
    leader_group_id: uuid.UUID | None
    attended_sessions: int
    required_sessions: int


class ParticipationCompleted(CompletionFacts):
    """A person met the offering's completion rule."""

    topic: ClassVar[str] = "enrollment.participation_completed"


class CompletionWithdrawn(CompletionFacts):
    """A completion no longer holds (a coordinator corrected attendance)."""

    topic: ClassVar[str] = "enrollment.completion_withdrawn"


class NotificationKind(StrEnum):
    confirmed = "enrollment-confirmed"
    waitlisted = "enrollment-waitlisted"
    promoted = "enrollment-promoted"
    cancelled = "enrollment-cancelled"
    session_cancelled = "session-cancelled"
    session_rescheduled = "session-rescheduled"
    programme_cancelled = "programme-cancelled"
    programme_rescheduled = "programme-rescheduled"
    session_reminder = "session-reminder"
    # Sent for the feedback service, which knows who is invited but keeps no addresses.
    survey_invitation = "survey-invitation"
    survey_reminder = "survey-reminder"
    # Coaching on request: to the leader, and (with `recipient_coach_id`) to the coach.
    coaching_requested = "coaching-requested"
    coaching_assigned = "coaching-assigned"
    coaching_assigned_to_coach = "coaching-assigned-to-coach"
    coaching_unassigned = "coaching-unassigned"
    coaching_scheduled = "coaching-scheduled"
    coaching_completed = "coaching-completed"
    coaching_declined = "coaching-declined"
    coaching_withdrawn = "coaching-withdrawn"


class NotificationRequested(EventPayload):
    """Someone should be told something; the mailer sends it (no address travels in the event).

    `data.sessions` lists the sessions the message is about as they were when it was decided (time,
    place, link, status and the catalogue's SEQUENCE); the mailer adds a calendar invitation or
    cancellation for each where the kind calls for one."""

    topic: ClassVar[str] = "enrollment.notification_requested"
    internal: ClassVar[bool] = True
    aggregate_type: ClassVar[str] = "person"

    recipient_person_id: uuid.UUID
    kind: NotificationKind
    data: dict[str, Any]
    # Set when the mail goes to a coach (whose address the coaching register keeps) rather than to the
    # person, who is then the one the message is about.
    recipient_coach_id: uuid.UUID | None = None


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
    entra_oid: str | None = Field(
        default=None, description="The person's Entra ID object id: how services know a signed-in caller."
    )
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


class ReflectionGroup(BaseModel):
    number: int
    member_ids: list[uuid.UUID]


class ReflectionChange(BaseModel):
    person_id: uuid.UUID
    from_group: int | None = Field(description="Null for someone who joined.")
    to_group: int | None = Field(description="Null for someone who left.")


class ReflectionGroupsConfirmed(EventPayload):
    """A coordinator confirmed an offering's reflection groups: who is in which group."""

    topic: ClassVar[str] = "enrollment.reflection_groups_confirmed"
    aggregate_type: ClassVar[str] = "reflection-round"

    round_id: uuid.UUID
    offering_id: uuid.UUID
    groups: list[ReflectionGroup]


class ReflectionGroupsChanged(EventPayload):
    """Confirmed reflection groups changed after late enrollments or cancellations (the fewest moves)."""

    topic: ClassVar[str] = "enrollment.reflection_groups_changed"
    aggregate_type: ClassVar[str] = "reflection-round"

    round_id: uuid.UUID
    offering_id: uuid.UUID
    changes: list[ReflectionChange]
    groups: list[ReflectionGroup]


class GroupAudience(BaseModel):
    leader_group_id: uuid.UUID
    units: list[uuid.UUID] = Field(description="The group's org unit and every unit above it.")


class AudienceChanged(EventPayload):
    """What the audience rules know of a person changed (`kernel.audience`): whether they lead a
    top-leader group or are a leader at all, their org units, and the groups they lead with theirs. The
    catalogue judges from it whether the signed-in person may enroll. `active` false: they left."""

    topic: ClassVar[str] = "enrollment.audience_changed"
    aggregate_type: ClassVar[str] = "person"

    person_id: uuid.UUID
    entra_oid: str
    active: bool
    leads_group: bool
    leader: bool
    units: list[uuid.UUID] = Field(description="Their org unit and every unit above it.")
    groups: list[GroupAudience] = Field(description="The active top-leader groups they lead.")


class PersonErased(EventPayload):
    """A person's data was erased: every service moves what it keeps of them to `new_person_id` and the
    pseudonym, and drops what its rules say goes. The old identifiers in this payload (and in every
    earlier one) are rewritten to the new ones once every subscription has passed this event."""

    topic: ClassVar[str] = "enrollment.person_erased"
    aggregate_type: ClassVar[str] = "erasure"

    erasure_id: uuid.UUID
    person_id: uuid.UUID = Field(description="The directory id that no longer exists.")
    entra_oid: str | None = Field(description="The Entra object id that no longer identifies anyone here.")
    new_person_id: uuid.UUID = Field(description="The pseudonymous id the person's records move to.")
    pseudonym: str = Field(description="What stands where the object id stood (who did what).")


PUBLISHED: tuple[type[EventPayload], ...] = (
    EnrollmentConfirmed,
    EnrollmentWaitlisted,
    EnrollmentPromoted,
    EnrollmentCancelled,
    AttendanceRecorded,
    ParticipationCompleted,
    CompletionWithdrawn,
    NotificationRequested,
    OrgUnitUpserted,
    OrgUnitDeactivated,
    PersonUpserted,
    PersonDeactivated,
    LeaderGroupUpserted,
    LeaderGroupDeactivated,
    ReflectionGroupsConfirmed,
    ReflectionGroupsChanged,
    AudienceChanged,
    PersonErased,
)
