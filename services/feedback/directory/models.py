"""Read models of the directory and the catalogue, kept from the enrollment and catalogue events.

Feedback needs them to know who a signed-in caller is (`entra_oid`), which unit and sector an answer
counts for, who belongs to a leader group, and what an offering is called.
"""

from __future__ import annotations

import uuid

from sqlalchemy import Column
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlmodel import Field

from services.kernel.models import TableBase


class KnownPerson(TableBase, table=True):
    __tablename__ = "people"
    __table_args__ = {"schema": "feedback"}

    person_id: uuid.UUID = Field(primary_key=True)
    entra_oid: str | None = Field(default=None, max_length=64, index=True)
    org_unit_id: uuid.UUID | None = None
    active: bool = True


class KnownOrgUnit(TableBase, table=True):
    __tablename__ = "org_units"
    __table_args__ = {"schema": "feedback"}

    org_unit_id: uuid.UUID = Field(primary_key=True)
    name: str
    sector: str | None = None
    active: bool = True


class KnownLeaderGroup(TableBase, table=True):
    __tablename__ = "leader_groups"
    __table_args__ = {"schema": "feedback"}

    leader_group_id: uuid.UUID = Field(primary_key=True)
    org_unit_id: uuid.UUID | None = None
    leader_id: uuid.UUID | None = None
    member_ids: list[uuid.UUID] = Field(
        default_factory=list, sa_column=Column(ARRAY(UUID(as_uuid=True)), nullable=False)
    )
    active: bool = True


class KnownOffering(TableBase, table=True):
    __tablename__ = "offerings"
    __table_args__ = {"schema": "feedback"}

    offering_id: uuid.UUID = Field(primary_key=True)
    title: str
    title_en: str | None = None
    kind_code: str
    is_programme: bool = False
