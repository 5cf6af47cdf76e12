"""Enrolments: one person in one session."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import DateTime, Index, text
from sqlmodel import Field

from services.kernel.models import TableBase, server_timestamp


class EnrollmentStatus(StrEnum):
    confirmed = "confirmed"
    cancelled = "cancelled"


class Enrollment(TableBase, table=True):
    __tablename__ = "enrollments"
    __table_args__ = (
        # One active enrolment per person and session.
        Index(
            "uq_enrollments_session_id_person_id_active",
            "session_id",
            "person_id",
            unique=True,
            postgresql_where=text("status = 'confirmed'"),
        ),
        {"schema": "enrollment"},
    )
    __mapper_args__ = {"eager_defaults": True}

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    session_id: uuid.UUID = Field(foreign_key="enrollment.sessions.id", index=True)
    person_id: uuid.UUID = Field(foreign_key="enrollment.people.id", index=True)
    status: str = Field(default=EnrollmentStatus.confirmed.value)
    seats: int = 1
    enrolled_by_oid: str
    cancelled_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    cancel_reason: str | None = None
    created_at: datetime | None = server_timestamp()
