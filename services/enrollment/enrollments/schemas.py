"""API schemas of enrollments."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Self

from pydantic import ConfigDict, Field, model_validator

from services.enrollment.enrollments.models import (
    Attendance,
    Enrollment,
    EnrollmentKind,
    EnrollmentStatus,
    Participation,
)
from services.kernel.paging import Page
from services.kernel.schemas import OsloDatetime, ReadModel, WriteModel

Reason = Field(min_length=1, max_length=1000, examples=["Plass holdt av til Bydel Stovner etter avtale"])


class EnrollmentCreate(WriteModel):
    """Exactly one of `session_id` and `offering_id`; at most one of `person_id` and `leader_group_id`."""

    # Swagger UI fills the body from the first example; without one it sets all four ids, which is refused.
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"session_id": "5d1c9a0e-8f3b-4c27-9a41-2b7e6f0d3c18"},
                {"offering_id": "0b6f2d4e-1a3c-4e58-b7d9-6c2a8e4f1b30"},
                {
                    "session_id": "5d1c9a0e-8f3b-4c27-9a41-2b7e6f0d3c18",
                    "leader_group_id": "7e3a1c5b-9d2f-4a68-8c0e-4b1f6d2a9e57",
                },
            ]
        }
    )

    session_id: uuid.UUID | None = Field(default=None, description="The session to enroll in.")
    offering_id: uuid.UUID | None = Field(
        default=None,
        description="A programme to enroll in as a whole (all its sessions); instead of session_id.",
    )
    person_id: uuid.UUID | None = Field(
        default=None,
        description="Whom to enroll; only coordinators may name someone else. Default: yourself.",
    )
    leader_group_id: uuid.UUID | None = Field(
        default=None, description="Enroll this whole top-leader group (its top leader, or a coordinator)."
    )

    @model_validator(mode="after")
    def _one_target_one_who(self) -> Self:
        if (self.session_id is None) == (self.offering_id is None):
            raise ValueError("give exactly one of session_id and offering_id")
        if self.person_id is not None and self.leader_group_id is not None:
            raise ValueError("give person_id or leader_group_id, not both")
        return self


class CancelRequest(WriteModel):
    reason: str | None = Field(
        default=None, min_length=1, max_length=1000, description="Required when a coordinator cancels."
    )
    person_id: uuid.UUID | None = Field(
        default=None, description="Cancel only this person's place in a group enrollment."
    )


class PromoteRequest(WriteModel):
    reason: str = Reason


class MoveRequest(WriteModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"position": 1, "reason": "Innleder på samlingen"}]}
    )

    position: int = Field(ge=1, le=100_000, description="New place on the waiting list; 1 is first in line.")
    reason: str = Reason


class ParticipationPublic(ReadModel):
    id: uuid.UUID
    session_id: uuid.UUID
    person_id: uuid.UUID
    status: EnrollmentStatus
    attendance: Attendance | None
    cancel_reason: str | None


class EnrollmentPublic(ReadModel):
    id: uuid.UUID
    offering_id: uuid.UUID
    session_id: uuid.UUID | None = Field(description="None for a programme taken as a whole.")
    kind: EnrollmentKind
    person_id: uuid.UUID | None
    leader_group_id: uuid.UUID | None
    status: EnrollmentStatus
    seats: int = Field(
        description="Seats taken in each session when confirmed (one slot if booked per group)."
    )
    waitlist_position: int | None = Field(description="Place on the waiting list (1 = next), while waiting.")
    confirmed_at: OsloDatetime | None
    cancelled_at: OsloDatetime | None
    cancel_reason: str | None
    created_at: OsloDatetime
    participants: list[ParticipationPublic]


class ScheduledSessionPublic(ReadModel):
    """When and where one session of an enrollment is, as the catalogue last said."""

    id: uuid.UUID
    starts_at: OsloDatetime
    ends_at: OsloDatetime
    venue: str | None
    room: str | None
    meeting_url: str | None = Field(description="Teams or other link for taking part online.")
    status: str = Field(description="`scheduled`, `cancelled` or `completed`.")


class MyEnrollmentPublic(EnrollmentPublic):
    """An enrollment as its participant's list shows it: with what it is for and when and where, so a
    page needs no call per row."""

    offering_title: str
    sessions: list[ScheduledSessionPublic] = Field(description="The sessions it holds places in, by time.")


def to_public(
    enrollment: Enrollment, participants: Sequence[Participation], position: int | None
) -> EnrollmentPublic:
    return EnrollmentPublic.model_validate(
        {
            **enrollment.model_dump(),
            "waitlist_position": position,
            "participants": [ParticipationPublic.model_validate(p) for p in participants],
        }
    )


class AuditEntryPublic(ReadModel):
    action: str
    actor_oid: str = Field(description="The oid of who did it, or `system` for automatic steps.")
    reason: str | None
    details: dict[str, Any]
    at: OsloDatetime


class PauseRequest(WriteModel):
    reason: str = Field(min_length=1, max_length=1000, examples=["Lokalet er ikke bekreftet ennå"])


class EnrollmentStatePublic(ReadModel):
    """A session's enrollment now, as the enrollment service decides it (the catalogue's copy may lag)."""

    session_id: uuid.UUID
    offering_id: uuid.UUID
    status: str
    capacity: int
    seats_confirmed: int
    seats_free: int
    overbooked_by: int = Field(
        description="Confirmed beyond the capacity: a coordinator lowered it below the confirmed count, "
        "or promoted over capacity."
    )
    waiting: int = Field(description="Entries on the waiting list (the programme's, for its sessions).")
    paused: bool = Field(description="New enrollments are refused; cancellations and promotions go on.")
    paused_at: OsloDatetime | None
    paused_by_oid: str | None
    pause_reason: str | None


class WaitingEntryPublic(ReadModel):
    position: int
    enrollment: EnrollmentPublic


class RosterEntryPublic(ReadModel):
    participation_id: uuid.UUID
    enrollment_id: uuid.UUID
    person_id: uuid.UUID
    name: str
    email: str
    org_unit_id: uuid.UUID | None
    leader_group_id: uuid.UUID | None
    status: EnrollmentStatus
    attendance: Attendance | None
    enrolled_at: datetime | None


class MyEnrollmentPage(Page[MyEnrollmentPublic]):
    """A page of the signed-in person's enrollments."""


class EnrollmentPage(Page[EnrollmentPublic]):
    """A page of enrollments."""


class AuditEntryPage(Page[AuditEntryPublic]):
    """A page of an enrollment's history."""


class WaitingEntryPage(Page[WaitingEntryPublic]):
    """A page of a waiting list, first in line first."""


class RosterEntryPage(Page[RosterEntryPublic]):
    """A page of a session's roster."""
