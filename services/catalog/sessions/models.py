"""Dated sessions of an offering, with the seat count reported by the enrollment service."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, CheckConstraint, DateTime, Index
from sqlmodel import Field

from services.kernel.models import TableBase, enum_field, server_timestamp


class SessionStatus(StrEnum):
    scheduled = "scheduled"
    cancelled = "cancelled"
    completed = "completed"


class CourseSession(TableBase, table=True):
    __tablename__ = "sessions"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("capacity > 0", name="capacity_positive"),
        CheckConstraint(
            "enrollment_closes_at IS NULL OR enrollment_closes_at <= starts_at",
            name="window_closes_before_start",
        ),
        CheckConstraint(
            "enrollment_opens_at IS NULL OR enrollment_closes_at IS NULL "
            "OR enrollment_opens_at < enrollment_closes_at",
            name="window_opens_before_close",
        ),
        CheckConstraint(
            "cancellation_deadline IS NULL OR cancellation_deadline <= starts_at",
            name="deadline_before_start",
        ),
        Index("ix_sessions_starts_at", "starts_at"),
        {"schema": "catalog"},
    )
    __mapper_args__ = {"eager_defaults": True}

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    offering_id: uuid.UUID = Field(foreign_key="catalog.offerings.id", index=True)
    position: int | None = Field(default=None, description="Order within a programme (1, 2, ...).")
    starts_at: datetime = Field(sa_type=DateTime(timezone=True))
    ends_at: datetime = Field(sa_type=DateTime(timezone=True))
    # What this session is about, in bokmål and English (both optional).
    description: str | None = None
    description_en: str | None = None
    venue: str | None = None
    room: str | None = None
    meeting_url: str | None = None
    capacity: int
    enrollment_opens_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    enrollment_closes_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    cancellation_deadline: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    status: SessionStatus = enum_field(SessionStatus.scheduled)
    status_reason: str | None = None
    # RFC 5545 SEQUENCE: rises on every reschedule and on cancellation, so calendars update in place.
    sequence: int = 0
    version: int = 1
    # Read model fed by enrollment events: confirmed seats and the version of the count we hold.
    seats_taken: int = 0
    seats_version: int = Field(default=0, sa_type=BigInteger)
    created_at: datetime | None = server_timestamp()
    updated_at: datetime | None = server_timestamp()
