"""Who changed what in the catalogue, and when (read by coordinators)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Column, Identity
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field

from services.kernel.models import TableBase, server_timestamp


class Change(TableBase, table=True):
    __tablename__ = "changes"
    __table_args__ = {"schema": "catalog"}

    id: int | None = Field(default=None, sa_column=Column(BigInteger, Identity(), primary_key=True))
    offering_id: uuid.UUID = Field(index=True)
    session_id: uuid.UUID | None = None
    action: str
    actor_oid: str
    at: datetime | None = server_timestamp()
    details: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSONB, nullable=False, server_default="{}")
    )
