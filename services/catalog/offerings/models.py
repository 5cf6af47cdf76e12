"""Offering kinds (data, not code) and offerings."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import DateTime, func
from sqlmodel import Field

from services.kernel.models import TableBase


class BookingUnit(StrEnum):
    person = "person"  # each participant takes a seat
    group = "group"  # a leader group takes one slot


class OfferingStatus(StrEnum):
    draft = "draft"
    published = "published"
    archived = "archived"


class OfferingKind(TableBase, table=True):
    __tablename__ = "offering_kinds"
    __table_args__ = {"schema": "catalog"}

    code: str = Field(primary_key=True, max_length=64)
    name_nb: str
    name_en: str
    description: str = ""
    default_booking_unit: str = Field(default=BookingUnit.person.value)
    sort_order: int = 0


class Offering(TableBase, table=True):
    __tablename__ = "offerings"
    __table_args__ = {"schema": "catalog"}
    __mapper_args__ = {"eager_defaults": True}

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    kind_code: str = Field(foreign_key="catalog.offering_kinds.code", index=True)
    title: str
    summary: str = ""
    booking_unit: str = Field(default=BookingUnit.person.value)
    status: str = Field(default=OfferingStatus.draft.value)
    created_at: datetime | None = Field(
        default=None,
        sa_type=DateTime(timezone=True),
        nullable=False,
        sa_column_kwargs={"server_default": func.now()},
    )
