"""API schemas of enrolments."""

from __future__ import annotations

import uuid

from pydantic import Field

from services.enrollment.enrollments.models import EnrollmentStatus
from services.kernel.schemas import OsloDatetime, ReadModel, WriteModel


class EnrollmentCreate(WriteModel):
    session_id: uuid.UUID
    person_id: uuid.UUID | None = Field(
        default=None, description="Whom to enrol; only coordinators may name someone else. Default: yourself."
    )


class EnrollmentPublic(ReadModel):
    id: uuid.UUID
    session_id: uuid.UUID
    person_id: uuid.UUID
    status: EnrollmentStatus
    seats: int
    created_at: OsloDatetime
