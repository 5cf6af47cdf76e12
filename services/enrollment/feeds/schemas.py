"""API schemas of personal calendar feeds."""

from __future__ import annotations

import uuid

from pydantic import Field

from services.kernel.paging import Page
from services.kernel.schemas import OsloDatetime, ReadModel


class CalendarFeedPublic(ReadModel):
    id: uuid.UUID
    created_at: OsloDatetime | None
    last_read_at: OsloDatetime | None = Field(description="When a calendar client last read it.")


class CalendarFeedCreated(CalendarFeedPublic):
    url: str = Field(
        description="The subscription address, with its secret: shown this once (only a hash is kept). "
        "Add it to Outlook, Google Calendar or Apple Calendar as a calendar from the internet."
    )


class CalendarFeedPage(Page[CalendarFeedPublic]):
    """A page of your active calendar feeds (without their secrets)."""
