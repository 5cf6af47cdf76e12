"""The catalogue's read model of the directory's audience facts, one row per person with a sign-in."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field

from services.kernel.models import TableBase


class AudienceView(TableBase, table=True):
    __tablename__ = "audience"
    __table_args__ = {"schema": "catalog"}

    entra_oid: str = Field(primary_key=True, max_length=64)
    # leads_group, leader, units and groups, as `enrollment.audience_changed` carries them.
    facts: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
