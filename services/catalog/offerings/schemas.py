"""API schemas of offering kinds and offerings."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import Field

from services.catalog.offerings.models import BookingUnit, OfferingStatus
from services.kernel.schemas import ReadModel, WriteModel


class OfferingKindPublic(ReadModel):
    code: str
    name_nb: str
    name_en: str
    description: str
    default_booking_unit: BookingUnit


class OfferingCreate(WriteModel):
    kind_code: str = Field(min_length=1, max_length=64, examples=["theme-gathering"])
    title: str = Field(min_length=1, max_length=300, examples=["Tillitsbasert styring i praksis"])
    summary: str = Field(default="", max_length=2000)
    booking_unit: BookingUnit | None = Field(default=None, description="Defaults to the kind's booking unit.")


class OfferingPublic(ReadModel):
    id: uuid.UUID
    kind_code: str
    title: str
    summary: str
    booking_unit: BookingUnit
    status: OfferingStatus
    created_at: datetime
