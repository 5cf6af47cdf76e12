"""The enrollment service's read model of catalogue sessions, fed by `catalog.session_scheduled`."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, DateTime
from sqlmodel import Field

from services.enrollment.offerings.models import BookingUnit
from services.kernel.models import EnumText, TableBase, enum_field


class SessionStatus(StrEnum):
    """The catalogue's lifecycle of a session, as its events carry it."""

    scheduled = "scheduled"
    cancelled = "cancelled"
    completed = "completed"


class SessionView(TableBase, table=True):
    __tablename__ = "sessions"
    __table_args__ = {"schema": "enrollment"}

    id: uuid.UUID = Field(primary_key=True)
    offering_id: uuid.UUID = Field(index=True)
    offering_title: str
    offering_title_en: str | None = None
    offering_kind: str
    booking_unit: BookingUnit = Field(sa_type=EnumText(BookingUnit))
    starts_at: datetime = Field(sa_type=DateTime(timezone=True))
    ends_at: datetime = Field(sa_type=DateTime(timezone=True))
    capacity: int
    venue: str | None = None
    room: str | None = None
    meeting_url: str | None = None
    # What the session is about, in bokmål and English (either may be missing).
    description: str | None = None
    description_en: str | None = None
    # A programme session's number ("samling 3 av 6"); None for a single session.
    position: int | None = None
    status: SessionStatus = enum_field(SessionStatus.scheduled)
    enrollment_opens_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    enrollment_closes_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    cancellation_deadline: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    # The catalogue's iCalendar SEQUENCE of the facts held here: older events never overwrite newer ones.
    catalog_sequence: int = 0
    # Owned here: confirmed seats, and a counter bumped on every change, sent with each event.
    seats_confirmed: int = 0
    seats_version: int = Field(default=0, sa_type=BigInteger)
    # Owned here: a coordinator paused enrollment (new requests are refused; the waiting list still moves).
    enrollment_paused_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    enrollment_paused_by_oid: str | None = None
    enrollment_pause_reason: str | None = None
