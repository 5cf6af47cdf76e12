"""Who took part in which session: the feedback service's read model of enrollments."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime
from sqlmodel import Field

from services.kernel.models import TableBase


class Participant(TableBase, table=True):
    __tablename__ = "participants"
    __table_args__ = {"schema": "feedback"}

    participation_id: uuid.UUID = Field(primary_key=True)
    enrollment_id: uuid.UUID
    session_id: uuid.UUID = Field(index=True)
    offering_id: uuid.UUID = Field(index=True)
    person_id: uuid.UUID
    org_unit_id: uuid.UUID | None = None
    confirmed_at: datetime = Field(sa_type=DateTime(timezone=True))
