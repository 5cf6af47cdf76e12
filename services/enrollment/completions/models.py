"""Completions of offerings, and the feed the HR system reads them from."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Column, DateTime, Identity, Index, text
from sqlalchemy.dialects.postgresql import UUID
from sqlmodel import Field

from services.kernel.eventbus.tables import Xid8
from services.kernel.models import TableBase, enum_field, server_timestamp


class CompletionStatus(StrEnum):
    completed = "completed"
    withdrawn = "withdrawn"


class Completion(TableBase, table=True):
    __tablename__ = "completions"
    __table_args__ = (
        # At most one standing completion per person and offering; withdrawn ones stay as history.
        Index(
            "uq_completions_person_id_offering_id_completed",
            "person_id",
            "offering_id",
            unique=True,
            postgresql_where=text("status = 'completed'"),
        ),
        {"schema": "enrollment"},
    )
    __mapper_args__ = {"eager_defaults": True}

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    person_id: uuid.UUID = Field(foreign_key="enrollment.people.id", index=True)
    offering_id: uuid.UUID = Field(index=True)
    status: CompletionStatus = enum_field(CompletionStatus.completed)
    attended_sessions: int
    required_sessions: int
    completed_at: datetime | None = server_timestamp()
    withdrawn_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    withdrawn_by_oid: str | None = None


class CompletionFeedEntry(TableBase, table=True):
    """One line of the HR feed: a completion recorded or withdrawn.

    `xid` is the writing transaction's id: readers only see entries below the oldest transaction still
    running, in (xid, position) order, so an entry that commits late is never skipped by a cursor that
    has moved past its position (the same fence as the event bus).
    """

    __tablename__ = "completion_feed"
    __table_args__ = (Index("ix_completion_feed_xid_position", "xid", "position"), {"schema": "enrollment"})

    position: int | None = Field(default=None, sa_column=Column(BigInteger, Identity(), primary_key=True))
    xid: str | None = Field(
        default=None,
        sa_column=Column("xid", Xid8, nullable=False, server_default=text("pg_current_xact_id()")),
    )
    completion_id: uuid.UUID = Field(sa_column=Column(UUID(as_uuid=True), nullable=False))
    change: str
    recorded_at: datetime | None = server_timestamp()
