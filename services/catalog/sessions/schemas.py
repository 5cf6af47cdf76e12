"""API schemas of sessions."""

from __future__ import annotations

import uuid
from typing import Self

from pydantic import Field, computed_field, model_validator

from services.catalog.sessions.models import SessionStatus
from services.kernel.schemas import OsloDatetime, ReadModel, WriteModel


class SessionCreate(WriteModel):
    offering_id: uuid.UUID
    starts_at: OsloDatetime = Field(description="With an offset, e.g. 2026-09-14T09:00:00+02:00.")
    ends_at: OsloDatetime
    capacity: int = Field(ge=1, le=10_000, description="People, or slots for group-booked offerings.")
    venue: str | None = Field(default=None, max_length=300, examples=["Oslo rådhus, Bystyresalen"])

    @model_validator(mode="after")
    def _ends_after_start(self) -> Self:
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


class SessionPublic(ReadModel):
    id: uuid.UUID
    offering_id: uuid.UUID
    starts_at: OsloDatetime
    ends_at: OsloDatetime
    venue: str | None
    capacity: int
    status: SessionStatus
    seats_taken: int = Field(description="Confirmed seats, as last reported by the enrolment service.")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def seats_available(self) -> int:
        return max(self.capacity - self.seats_taken, 0)
