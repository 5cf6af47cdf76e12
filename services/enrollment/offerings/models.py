"""The enrollment service's read model of catalogue offerings: the rules of who may enroll and how."""

from __future__ import annotations

import uuid
from enum import StrEnum

from sqlalchemy import Column
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlmodel import Field

from services.kernel.models import EnumText, TableBase


class BookingUnit(StrEnum):
    """How an offering counts seats: one per person, or one slot per top-leader group however many come."""

    person = "person"
    group = "group"


class OfferingStatus(StrEnum):
    """The catalogue's lifecycle of an offering, as its events carry it."""

    draft = "draft"
    published = "published"
    archived = "archived"


class OfferingView(TableBase, table=True):
    __tablename__ = "offerings"
    __table_args__ = {"schema": "enrollment"}

    id: uuid.UUID = Field(primary_key=True)
    kind_code: str
    title: str
    title_en: str | None = None
    audience: str
    audience_org_unit_ids: list[uuid.UUID] = Field(
        default_factory=list,
        sa_column=Column(ARRAY(UUID(as_uuid=True)), nullable=False, server_default="{}"),
    )
    booking_unit: BookingUnit = Field(sa_type=EnumText(BookingUnit))
    is_programme: bool
    # Arranged on request (coaching): leaders ask for it; a coordinator books its sessions.
    on_request: bool = Field(default=False, sa_column_kwargs={"server_default": "false"})
    completion_min_sessions: int | None = None
    status: OfferingStatus = Field(sa_type=EnumText(OfferingStatus))
    # The catalogue's version of these facts: an older event never overwrites a newer one.
    offering_version: int
    # Owned here: a coordinator turned reminders before the sessions off (the catalogue never sets it).
    reminders_enabled: bool = Field(default=True, sa_column_kwargs={"server_default": "true"})
