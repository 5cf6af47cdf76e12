"""Base classes of API schemas shared by every service."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import AwareDatetime, BaseModel, ConfigDict, PlainSerializer

OSLO = ZoneInfo("Europe/Oslo")


class WriteModel(BaseModel):
    """Request bodies: unknown fields are refused (422), strings are trimmed."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ReadModel(BaseModel):
    """Response bodies, built from ORM rows."""

    model_config = ConfigDict(from_attributes=True)


def _to_oslo(value: datetime) -> str:
    return value.astimezone(OSLO).isoformat()


# Stored in UTC; shown with the municipality's offset (Europe/Oslo), e.g. 2026-09-14T09:00:00+02:00.
OsloDatetime = Annotated[AwareDatetime, PlainSerializer(_to_oslo, return_type=str, when_used="json")]
