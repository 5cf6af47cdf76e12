"""Base classes of API schemas shared by every service."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, PlainSerializer, model_validator

OSLO = ZoneInfo("Europe/Oslo")


BIGINT_MAX = 2**63 - 1

# One line of text (a title, a name, a venue): no control characters. A line break in one would split
# the mail header, the iCalendar line or the file name built from it.
SINGLE_LINE = r"^[^\x00-\x1f\x7f]*$"


def one_line(text: str) -> str:
    """Stored text as one line for a header, a calendar property or a file name: every run of control
    characters becomes a space (data stored before the rule, or from elsewhere, never breaks a builder)."""
    return _CONTROL_RUNS.sub(" ", text).strip()


_CONTROL_RUNS = re.compile(r"[\x00-\x1f\x7f]+")


def _contains_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_contains_nul(k) or _contains_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_contains_nul(item) for item in value)
    return False


class WriteModel(BaseModel):
    """Request bodies: unknown fields are refused (422), strings are trimmed, NUL characters refused
    (PostgreSQL text cannot hold them)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @model_validator(mode="before")
    @classmethod
    def _no_nul_characters(cls, data: object) -> object:
        if _contains_nul(data):
            raise ValueError("text must not contain NUL characters")
        return data


class ReadModel(BaseModel):
    """Response bodies, built from ORM rows."""

    model_config = ConfigDict(from_attributes=True)


def oslo_iso(value: datetime) -> str:
    """A stored (UTC) time as the API shows it: ISO 8601 with Oslo's offset."""
    return value.astimezone(OSLO).isoformat()


# Stored in UTC; shown with the municipality's offset (Europe/Oslo), e.g. 2026-09-14T09:00:00+02:00.
OsloDatetime = Annotated[AwareDatetime, PlainSerializer(oslo_iso, return_type=str, when_used="json")]


# A bigint key as it may appear in a path or body: larger numbers are refused (422), not passed to SQL.
BigIntId = Annotated[int, Field(ge=0, le=BIGINT_MAX)]
