"""Dated sessions of an offering, with the seat count reported by the enrolment service."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, CheckConstraint, DateTime, func
from sqlmodel import Field

from services.kernel.models import TableBase


class SessionStatus(StrEnum):
    scheduled = "scheduled"
    cancelled = "cancelled"
    completed = "completed"


class CourseSession(TableBase, table=True):
    __tablename__ = "sessions"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("capacity > 0", name="capacity_positive"),
        {"schema": "catalog"},
    )
    __mapper_args__ = {"eager_defaults": True}

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    offering_id: uuid.UUID = Field(foreign_key="catalog.offerings.id", index=True)
    starts_at: datetime = Field(sa_type=DateTime(timezone=True))
    ends_at: datetime = Field(sa_type=DateTime(timezone=True))
    venue: str | None = None
    capacity: int
    status: str = Field(default=SessionStatus.scheduled.value)
    # Read model fed by enrollment events: confirmed seats and the version of the count we hold.
    seats_taken: int = 0
    seats_version: int = Field(default=0, sa_type=BigInteger)
    created_at: datetime | None = Field(
        default=None,
        sa_type=DateTime(timezone=True),
        nullable=False,
        sa_column_kwargs={"server_default": func.now()},
    )
