"""API schema of change-history entries."""

from __future__ import annotations

import uuid
from typing import Any

from services.kernel.paging import Page
from services.kernel.schemas import OsloDatetime, ReadModel


class OfferingChangePublic(ReadModel):
    id: int
    offering_id: uuid.UUID
    session_id: uuid.UUID | None
    action: str
    actor_oid: str
    at: OsloDatetime
    details: dict[str, Any]


class OfferingChangePage(Page[OfferingChangePublic]):
    """A page of an offering's change history."""
