"""API schemas of participants."""

from __future__ import annotations

import uuid

from services.kernel.paging import Page
from services.kernel.schemas import OsloDatetime, ReadModel


class ParticipantPublic(ReadModel):
    participation_id: uuid.UUID
    enrollment_id: uuid.UUID
    session_id: uuid.UUID
    person_id: uuid.UUID
    org_unit_id: uuid.UUID | None
    confirmed_at: OsloDatetime


class ParticipantPage(Page[ParticipantPublic]):
    """A page of a session's participants."""
