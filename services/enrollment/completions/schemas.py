"""API schemas of attendance and completions."""

from __future__ import annotations

import uuid
from typing import Self

from pydantic import Field, model_validator

from services.enrollment.enrollments.models import Attendance
from services.kernel.paging import Page
from services.kernel.schemas import OsloDatetime, ReadModel, WriteModel


class AttendanceMark(WriteModel):
    person_id: uuid.UUID
    attendance: Attendance


class AttendanceUpdate(WriteModel):
    records: list[AttendanceMark] = Field(min_length=1, max_length=2000)

    @model_validator(mode="after")
    def _each_person_once(self) -> Self:
        ids = [r.person_id for r in self.records]
        if len(ids) != len(set(ids)):
            raise ValueError("each person_id may appear once")
        return self


class AttendancePublic(ReadModel):
    participation_id: uuid.UUID
    person_id: uuid.UUID
    attendance: Attendance | None
    attendance_marked_at: OsloDatetime | None


class FeedEntryPublic(ReadModel):
    change: str = Field(description="`completed`, or `withdrawn` when a coordinator corrected attendance.")
    recorded_at: OsloDatetime
    completion_id: uuid.UUID
    person_id: uuid.UUID
    person_external_id: str = Field(description="The HR system's id (employee number) of the person.")
    offering_id: uuid.UUID
    offering_title: str | None
    kind_code: str | None
    attended_sessions: int
    required_sessions: int
    completed_at: OsloDatetime


class FeedPage(ReadModel):
    items: list[FeedEntryPublic]
    next_cursor: str = Field(description="Pass as `cursor` next time; unchanged when nothing new arrived.")


class CompletionPublic(ReadModel):
    id: uuid.UUID
    offering_id: uuid.UUID
    status: str
    attended_sessions: int
    required_sessions: int
    completed_at: OsloDatetime
    withdrawn_at: OsloDatetime | None


class CompletionPage(Page[CompletionPublic]):
    """A page of completions."""
