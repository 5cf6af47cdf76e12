"""Enrollments (the unit of capacity and of the waiting list) and the participations they hold.

An *enrollment* is what someone books: one person, or a whole top-leader group, in one session or, for a
programme, in all its sessions at once. It takes `seats` in each of its sessions when confirmed (one per
person; one slot for an offering booked per group) and is confirmed whole or waits whole: a group is
never split at the capacity boundary.

A *participation* is one person in one session under an enrollment: what the roster, attendance,
notifications and the other services' read models are about.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, Column, DateTime, Identity, Index, Numeric, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field

from services.enrollment.offerings.models import BookingUnit
from services.kernel.models import EnumText, TableBase, enum_field, server_timestamp


class EnrollmentStatus(StrEnum):
    confirmed = "confirmed"
    waitlisted = "waitlisted"
    cancelled = "cancelled"


class EnrollmentKind(StrEnum):
    person = "person"
    group = "group"


class Attendance(StrEnum):
    attended = "attended"
    absent = "absent"
    excused = "excused"


ACTIVE = (EnrollmentStatus.confirmed, EnrollmentStatus.waitlisted)


class Enrollment(TableBase, table=True):
    __tablename__ = "enrollments"
    __table_args__ = (
        CheckConstraint(
            "(kind = 'person' AND person_id IS NOT NULL AND leader_group_id IS NULL) OR "
            "(kind = 'group' AND leader_group_id IS NOT NULL AND person_id IS NULL)",
            name="kind_matches_target",
        ),
        CheckConstraint("seats >= 0", name="seats_not_negative"),
        # The waiting list of a session, or of a programme taken whole (session_id NULL), in order.
        Index("ix_enrollments_queue", "offering_id", "session_id", "status", "queue_rank"),
        {"schema": "enrollment"},
    )
    __mapper_args__ = {"eager_defaults": True}

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    offering_id: uuid.UUID = Field(index=True)
    # The session booked; NULL for a programme taken as a whole (every session of the offering).
    session_id: uuid.UUID | None = Field(default=None, foreign_key="enrollment.sessions.id", index=True)
    kind: EnrollmentKind = enum_field(EnrollmentKind.person)
    person_id: uuid.UUID | None = Field(default=None, foreign_key="enrollment.people.id", index=True)
    leader_group_id: uuid.UUID | None = Field(
        default=None, foreign_key="enrollment.leader_groups.id", index=True
    )
    status: EnrollmentStatus = enum_field(EnrollmentStatus.confirmed)
    # The offering's booking unit when booked: "group" takes one slot however many people come.
    booking_unit: BookingUnit = enum_field(BookingUnit.person)
    # Seats taken in each of its sessions when confirmed (kept while waiting: what it needs).
    seats: int = 1
    # Whether the audience rules were applied (not when a coordinator enrolled someone): they are
    # checked again before a promotion from the waiting list.
    audience_checked: bool = True
    # Order on the waiting list: arrival order from a sequence (whole numbers, each above every rank
    # before it); a coordinator's move gives the entry a rank between its new neighbours' (a fraction),
    # so no other entry is written.
    queue_rank: Decimal | None = Field(
        default=None,
        sa_column=Column(
            Numeric(), server_default=text("nextval('enrollment.enrollment_queue_rank')"), nullable=False
        ),
    )
    enrolled_by_oid: str
    confirmed_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    cancelled_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    cancel_reason: str | None = None
    version: int = 1
    created_at: datetime | None = server_timestamp()


class Participation(TableBase, table=True):
    __tablename__ = "participations"
    __table_args__ = (
        # One place per person and session, confirmed or waiting: no double booking, even across groups.
        Index(
            "uq_participations_session_id_person_id_active",
            "session_id",
            "person_id",
            unique=True,
            postgresql_where=text("status IN ('confirmed', 'waitlisted')"),
        ),
        {"schema": "enrollment"},
    )
    __mapper_args__ = {"eager_defaults": True}

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    enrollment_id: uuid.UUID = Field(foreign_key="enrollment.enrollments.id", index=True)
    session_id: uuid.UUID = Field(foreign_key="enrollment.sessions.id", index=True)
    person_id: uuid.UUID = Field(foreign_key="enrollment.people.id", index=True)
    status: EnrollmentStatus = enum_field(EnrollmentStatus.confirmed)
    attendance: Attendance | None = Field(default=None, sa_type=EnumText(Attendance))
    attendance_marked_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    attendance_marked_by_oid: str | None = None
    cancelled_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    cancel_reason: str | None = None
    created_at: datetime | None = server_timestamp()


class EnrollmentAudit(TableBase, table=True):
    """Every change of an enrollment: who (a person's oid, or `system`), when, what and why."""

    __tablename__ = "enrollment_audit"
    __table_args__ = {"schema": "enrollment"}

    id: int | None = Field(default=None, sa_column=Column(BigInteger, Identity(), primary_key=True))
    enrollment_id: uuid.UUID = Field(foreign_key="enrollment.enrollments.id", index=True)
    action: str
    actor_oid: str
    reason: str | None = None
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))
    at: datetime | None = server_timestamp()
