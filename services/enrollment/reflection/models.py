"""Rounds of reflection groups for an offering: a draft the coordinator shapes, then confirmed."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, DateTime, ForeignKey
from sqlmodel import Field

from services.kernel.models import EnumText, TableBase, enum_field, server_timestamp


class RoundStatus(StrEnum):
    draft = "draft"
    confirmed = "confirmed"


class PinKind(StrEnum):
    together = "together"
    apart = "apart"


class ReflectionRound(TableBase, table=True):
    __tablename__ = "reflection_rounds"
    __table_args__ = {"schema": "enrollment"}

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    offering_id: uuid.UUID = Field(index=True)
    status: RoundStatus = enum_field(RoundStatus.draft, length=10)
    min_size: int
    max_size: int
    seed: int
    version: int = 1
    created_by_oid: str = Field(max_length=64)
    created_at: datetime = server_timestamp()
    confirmed_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    confirmed_by_oid: str | None = Field(default=None, max_length=64)


class ReflectionMember(TableBase, table=True):
    """Who is in which group of a round (groups are numbered from 1)."""

    __tablename__ = "reflection_members"
    __table_args__ = {"schema": "enrollment"}

    round_id: uuid.UUID = Field(
        sa_column=Column(
            ForeignKey("enrollment.reflection_rounds.id", ondelete="CASCADE"),
            primary_key=True,
            nullable=False,
        )
    )
    person_id: uuid.UUID = Field(primary_key=True, foreign_key="enrollment.people.id", index=True)
    group_number: int


class ReflectionPin(TableBase, table=True):
    """Two people a coordinator keeps together or apart (`person_a` < `person_b`)."""

    __tablename__ = "reflection_pins"
    __table_args__ = {"schema": "enrollment"}

    round_id: uuid.UUID = Field(
        sa_column=Column(
            ForeignKey("enrollment.reflection_rounds.id", ondelete="CASCADE"),
            primary_key=True,
            nullable=False,
        )
    )
    person_a: uuid.UUID = Field(primary_key=True)
    person_b: uuid.UUID = Field(primary_key=True)
    kind: PinKind = Field(sa_type=EnumText(PinKind, 10))
