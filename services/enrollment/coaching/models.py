"""Coaching on request: the coaches the programme keeps, leaders' requests, their history, and the
one-to-one sessions scheduled for them."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, Column, Index, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field

from services.kernel.languages import Language
from services.kernel.models import EnumText, TableBase, server_timestamp


class CoachKind(StrEnum):
    internal = "internal"  # one of the municipality's own consultants
    external = "external"  # bought in


class RequestState(StrEnum):
    requested = "requested"
    assigned = "assigned"  # a coach is named
    scheduled = "scheduled"  # at least one session is booked
    completed = "completed"
    withdrawn = "withdrawn"  # by the leader
    declined = "declined"  # by a coordinator, with a reason


OPEN_STATES = (RequestState.requested, RequestState.assigned, RequestState.scheduled)
# The requests a coach's capacity counts in a term: every one assigned to them then, unless it ended
# without a conversation (withdrawn or declined before anything was scheduled is not counted).
COUNTED_STATES = (RequestState.assigned, RequestState.scheduled, RequestState.completed)


class Coach(TableBase, table=True):
    __tablename__ = "coaches"
    __table_args__ = (
        CheckConstraint("capacity_per_term >= 0", name="capacity_not_negative"),
        {"schema": "enrollment"},
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str
    email: str
    organisation: str = ""
    kind: CoachKind = Field(sa_type=EnumText(CoachKind))
    # How the coach signs in (Entra object id), to see the requests assigned to them.
    entra_oid: str | None = Field(default=None, unique=True, max_length=64)
    capacity_per_term: int
    language: Language = Field(
        default=Language.nb, sa_type=EnumText(Language), sa_column_kwargs={"server_default": "nb"}
    )
    active: bool = True
    created_at: datetime | None = server_timestamp()


class CoachingRequest(TableBase, table=True):
    __tablename__ = "coaching_requests"
    __table_args__ = (
        # One open request per leader and offering.
        Index(
            "uq_coaching_requests_open",
            "person_id",
            "offering_id",
            unique=True,
            postgresql_where=text("state IN ('requested', 'assigned', 'scheduled')"),
        ),
        {"schema": "enrollment"},
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    offering_id: uuid.UUID = Field(index=True)
    person_id: uuid.UUID = Field(foreign_key="enrollment.people.id", index=True)
    # Only the leader, coordinators and the assigned coach ever see these two.
    note: str = ""
    preferred_times: str = ""
    state: RequestState = Field(sa_type=EnumText(RequestState), index=True)
    coach_id: uuid.UUID | None = Field(default=None, foreign_key="enrollment.coaches.id", index=True)
    # The term the coach's capacity counts the request in ("2027-spring"), set on assignment.
    term: str | None = None
    reason: str | None = None  # why it was declined
    created_at: datetime | None = server_timestamp()
    updated_at: datetime | None = server_timestamp()
    version: int = 1


class CoachingRequestChange(TableBase, table=True):
    """The request's history: every change of state or coach, by whom and when."""

    __tablename__ = "coaching_request_changes"
    __table_args__ = {"schema": "enrollment"}

    id: int | None = Field(default=None, primary_key=True)
    request_id: uuid.UUID = Field(foreign_key="enrollment.coaching_requests.id", index=True)
    action: str
    from_state: RequestState | None = Field(default=None, sa_type=EnumText(RequestState))
    to_state: RequestState = Field(sa_type=EnumText(RequestState))
    actor_oid: str
    at: datetime | None = server_timestamp()
    details: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSONB, nullable=False, server_default="{}")
    )


class CoachingSession(TableBase, table=True):
    """A one-to-one session booked for a request, and the enrollment that holds the leader's place."""

    __tablename__ = "coaching_sessions"
    __table_args__ = {"schema": "enrollment"}

    request_id: uuid.UUID = Field(foreign_key="enrollment.coaching_requests.id", primary_key=True)
    session_id: uuid.UUID = Field(primary_key=True, unique=True)
    enrollment_id: uuid.UUID = Field(foreign_key="enrollment.enrollments.id")
