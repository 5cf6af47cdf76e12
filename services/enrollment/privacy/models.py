"""The record of bulk reads of personal data in the enrollment schema (services/kernel/privacy.py), and
the erasures ordered."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, Index, text
from sqlmodel import Field

from services.kernel.models import TableBase, server_timestamp
from services.kernel.privacy import PersonalDataReadBase


class PersonalDataRead(PersonalDataReadBase, table=True):
    __tablename__ = "personal_data_reads"
    __table_args__ = {"schema": "enrollment"}


class Erasure(TableBase, table=True):
    """An erasure: who ordered it and why, the pseudonymous id the person's records moved to, and the
    old identifiers until the event payloads naming them have been rewritten (`scrubbed_at`)."""

    __tablename__ = "erasures"
    __table_args__ = (
        Index("ix_erasures_unscrubbed", "ordered_at", postgresql_where=text("scrubbed_at IS NULL")),
        {"schema": "enrollment"},
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    new_person_id: uuid.UUID
    pseudonym: str = Field(max_length=64)
    ordered_by: str = Field(max_length=64)
    reason: str
    ordered_at: datetime | None = server_timestamp()
    event_id: uuid.UUID
    old_person_id: uuid.UUID | None = None
    old_oid: str | None = Field(default=None, max_length=64)
    scrubbed_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
