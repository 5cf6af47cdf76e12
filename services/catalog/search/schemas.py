"""API schemas of offering search: the summary a listing shows, and a page of them."""

from __future__ import annotations

import uuid
from enum import StrEnum

from pydantic import BaseModel, Field

from services.catalog.audience.eligibility import Eligibility
from services.catalog.offerings.models import Audience, BookingUnit, Format, OfferingStatus
from services.kernel.languages import Language
from services.kernel.schemas import OsloDatetime


class SortOrder(StrEnum):
    relevance = "relevance"  # best match first (needs q)
    next_session = "next-session"  # soonest upcoming session first; offerings without one last
    by_title = "title"
    newest = "newest"  # most recently published first


class StatusFilter(StrEnum):
    published = "published"
    draft = "draft"
    archived = "archived"
    all = "all"


class NextSession(BaseModel):
    id: uuid.UUID
    starts_at: OsloDatetime
    ends_at: OsloDatetime
    venue: str | None
    seats_available: int
    open_for_enrollment: bool = Field(description="Its enrollment window is open now.")


class OfferingSummary(BaseModel):
    """What a course listing shows for one offering."""

    id: uuid.UUID
    kind_code: str
    title: str = Field(
        description="In the language asked for (`Accept-Language`) where written, else bokmål."
    )
    summary: str = Field(description="In the language asked for where written, else in bokmål.")
    language: Language = Field(description="The language of the title.")
    audience: Audience
    booking_unit: BookingUnit
    format: Format
    themes: list[str]
    is_programme: bool
    status: OfferingStatus
    upcoming_sessions: int = Field(description="Scheduled sessions that have not started.")
    seats_available: int = Field(description="Free seats (or slots) over the upcoming sessions.")
    open_for_enrollment: bool = Field(description="Some upcoming session's enrollment window is open now.")
    next_session: NextSession | None
    eligibility: Eligibility = Field(description="Whether you may enroll, and if not why not.")


class OfferingPage(BaseModel):
    items: list[OfferingSummary]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")
