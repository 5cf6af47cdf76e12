"""API schemas of sessions: scheduling, series, edits, reschedule and cancellation."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import ClassVar, Self

from pydantic import AnyHttpUrl, ConfigDict, Field, computed_field, model_validator

from services.catalog.sessions.models import CourseSession, SessionStatus
from services.kernel.languages import Language, pick
from services.kernel.paging import Page
from services.kernel.schemas import SINGLE_LINE, OsloDatetime, PatchModel, ReadModel, WriteModel

MAX_SESSION_LENGTH = timedelta(days=14)
# A cancellation deadline further ahead than this is a typo (a year off), not a rule.
MAX_DEADLINE_LEAD = timedelta(days=180)


def check_times(
    starts_at: datetime | None,
    ends_at: datetime | None,
    opens: datetime | None,
    closes: datetime | None,
    deadline: datetime | None,
) -> None:
    """The rules every session obeys; raises ValueError naming the broken one."""
    if starts_at is not None and ends_at is not None:
        if ends_at <= starts_at:
            raise ValueError("ends_at must be after starts_at")
        if ends_at - starts_at > MAX_SESSION_LENGTH:
            raise ValueError("a session lasts at most 14 days")
    if opens is not None and closes is not None and opens >= closes:
        raise ValueError("enrollment_opens_at must be before enrollment_closes_at")
    if starts_at is not None and closes is not None and closes > starts_at:
        raise ValueError("enrollment_closes_at must not be after the session starts")
    if starts_at is not None and deadline is not None:
        if deadline > starts_at:
            raise ValueError("cancellation_deadline must not be after the session starts")
        if starts_at - deadline > MAX_DEADLINE_LEAD:
            raise ValueError("cancellation_deadline must be within 180 days before the session")
    if opens is not None and deadline is not None and deadline < opens:
        raise ValueError("cancellation_deadline must not be before enrollment opens")


class _Place(WriteModel):
    description: str | None = Field(
        default=None,
        max_length=5000,
        description="What this session is about (bokmål).",
        examples=["Samling 3: Tillit i ledergruppen"],
    )
    description_en: str | None = Field(
        default=None,
        max_length=5000,
        description="In English; where left out, readers of English get the bokmål text.",
    )
    venue: str | None = Field(default=None, max_length=300, pattern=SINGLE_LINE, examples=["Oslo rådhus"])
    room: str | None = Field(default=None, max_length=200, pattern=SINGLE_LINE, examples=["Bystyresalen"])
    meeting_url: AnyHttpUrl | None = Field(default=None, description="Teams or other meeting link.")


class _Window(WriteModel):
    enrollment_opens_at: OsloDatetime | None = Field(
        default=None, description="Unset: open as soon as the offering is published."
    )
    enrollment_closes_at: OsloDatetime | None = Field(
        default=None, description="Unset: open until the start."
    )
    cancellation_deadline: OsloDatetime | None = Field(
        default=None, description="Participants cancel themselves until then. Unset: until the start."
    )


class SessionCreate(_Place, _Window):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "offering_id": "5d1c9a0e-8f3b-4c27-9a41-2b7e6f0d3c18",
                    "starts_at": "2099-03-04T08:30:00+01:00",
                    "ends_at": "2099-03-04T12:30:00+01:00",
                    "capacity": 40,
                    "venue": "Oslo rådhus",
                    "room": "Bystyresalen",
                }
            ]
        }
    )

    offering_id: uuid.UUID
    starts_at: OsloDatetime = Field(description="With an offset, e.g. 2027-09-14T09:00:00+02:00.")
    ends_at: OsloDatetime
    capacity: int = Field(ge=1, le=10_000, description="People, or slots for group-booked offerings.")
    position: int | None = Field(default=None, ge=1, le=100, description="Order within a programme.")

    @model_validator(mode="after")
    def _rules(self) -> Self:
        check_times(
            self.starts_at,
            self.ends_at,
            self.enrollment_opens_at,
            self.enrollment_closes_at,
            self.cancellation_deadline,
        )
        if self.venue is None and self.meeting_url is None:
            raise ValueError("give a venue, a meeting_url, or both")
        return self


class SeriesCreate(_Place, _Window):
    """A programme's sessions: `count` sessions, `interval_days` apart, each `duration_minutes` long."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "first_starts_at": "2099-09-02T08:30:00+02:00",
                    "duration_minutes": 240,
                    "interval_days": 42,
                    "count": 6,
                    "capacity": 12,
                    "venue": "Utviklings- og kompetanseetaten, Grensen 13",
                }
            ]
        }
    )

    first_starts_at: OsloDatetime = Field(description="Start of session 1, e.g. 2027-09-02T08:30:00+02:00.")
    duration_minutes: int = Field(ge=15, le=24 * 60, examples=[240])
    interval_days: int = Field(ge=1, le=365, examples=[42])
    count: int = Field(ge=1, le=52, examples=[6])
    capacity: int = Field(ge=1, le=10_000)

    @model_validator(mode="after")
    def _rules(self) -> Self:
        # The window and deadline apply to the programme as a whole: they end before session 1.
        first_end = self.first_starts_at + timedelta(minutes=self.duration_minutes)
        check_times(
            self.first_starts_at,
            first_end,
            self.enrollment_opens_at,
            self.enrollment_closes_at,
            self.cancellation_deadline,
        )
        if self.venue is None and self.meeting_url is None:
            raise ValueError("give a venue, a meeting_url, or both")
        return self


class SessionUpdate(_Place, _Window, PatchModel):
    """Fields to change; those left out stay, and `null` empties a place, link, window, deadline or
    description. Times change only by rescheduling. Needs `If-Match`."""

    clearable: ClassVar[frozenset[str]] = frozenset(
        {
            "description",
            "description_en",
            "venue",
            "room",
            "meeting_url",
            "enrollment_opens_at",
            "enrollment_closes_at",
            "cancellation_deadline",
        }
    )

    model_config = ConfigDict(json_schema_extra={"examples": [{"capacity": 45, "room": "Store sal"}]})

    capacity: int | None = Field(default=None, ge=1, le=10_000)
    allow_overbooking: bool = Field(
        default=False,
        description="Lower `capacity` below the seats already confirmed (refused otherwise); the session "
        "then reports `overbooked_by`. Nobody confirmed loses their place.",
    )


class SessionReschedule(WriteModel):
    starts_at: OsloDatetime
    ends_at: OsloDatetime
    reason: str = Field(min_length=1, max_length=1000, examples=["Kollisjon med bystyremøte"])

    @model_validator(mode="after")
    def _rules(self) -> Self:
        check_times(self.starts_at, self.ends_at, None, None, None)
        return self


class SessionCancel(WriteModel):
    reason: str = Field(min_length=1, max_length=1000, examples=["For få påmeldte"])


class SessionPublic(ReadModel):
    id: uuid.UUID
    offering_id: uuid.UUID
    position: int | None
    description: str | None = Field(
        description="In the language asked for (`Accept-Language`) where written, else in bokmål."
    )
    starts_at: OsloDatetime
    ends_at: OsloDatetime
    venue: str | None
    room: str | None
    meeting_url: str | None
    capacity: int
    enrollment_opens_at: OsloDatetime | None
    enrollment_closes_at: OsloDatetime | None
    cancellation_deadline: OsloDatetime | None
    status: SessionStatus
    status_reason: str | None
    sequence: int = Field(description="iCalendar SEQUENCE: rises on reschedule and cancellation.")
    version: int
    seats_taken: int = Field(description="Confirmed seats, as last reported by the enrollment service.")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def seats_available(self) -> int:
        return max(self.capacity - self.seats_taken, 0)

    @computed_field(  # type: ignore[prop-decorator]
        description="Confirmed seats beyond the capacity (a capacity lowered with `allow_overbooking`, or "
        "promotions over capacity), as last reported by the enrollment service."
    )
    @property
    def overbooked_by(self) -> int:
        return max(self.seats_taken - self.capacity, 0)


def session_public(course_session: CourseSession, language: Language) -> SessionPublic:
    """A session as a reader of `language` sees it."""
    public = SessionPublic.model_validate(course_session)
    public.description = pick(language, course_session.description, course_session.description_en)
    return public


class SessionPage(Page[SessionPublic]):
    """A page of an offering's sessions."""


class SessionMove(WriteModel):
    session_id: uuid.UUID
    starts_at: OsloDatetime
    ends_at: OsloDatetime

    @model_validator(mode="after")
    def _rules(self) -> Self:
        check_times(self.starts_at, self.ends_at, None, None, None)
        return self


class SessionsReschedule(WriteModel):
    """New times for several sessions of one offering, moved in one step (one mail per person)."""

    sessions: list[SessionMove] = Field(min_length=1, max_length=100)
    reason: str = Field(min_length=1, max_length=1000, examples=["Programmet flyttes til høsten"])

    @model_validator(mode="after")
    def _distinct(self) -> Self:
        ids = [move.session_id for move in self.sessions]
        if len(set(ids)) != len(ids):
            raise ValueError("each session is named once")
        return self
