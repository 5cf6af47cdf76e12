"""Org units, people and top-leader groups, as the HR system knows them (HR is the source of truth)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Column
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field

from services.kernel.languages import Language
from services.kernel.models import EnumText, TableBase, server_timestamp


class OrgUnitKind(StrEnum):
    city_district = "city-district"  # bydel
    agency = "agency"  # etat
    department = "department"  # byrådsavdeling
    enterprise = "enterprise"  # foretak
    other = "other"


class OrgUnit(TableBase, table=True):
    __tablename__ = "org_units"
    __table_args__ = {"schema": "enrollment"}

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    external_id: str = Field(unique=True, max_length=100)
    name: str
    kind: OrgUnitKind = Field(sa_type=EnumText(OrgUnitKind))
    sector: str | None = None
    # References are kept as HR sent them (external id) and resolved to a key when the record exists;
    # an external id without a key is a pending reference (GET /directory/pending-references).
    parent_external_id: str | None = Field(default=None, max_length=100)
    parent_id: uuid.UUID | None = Field(default=None, foreign_key="enrollment.org_units.id")
    active: bool = True
    updated_at: datetime | None = server_timestamp()


class Person(TableBase, table=True):
    __tablename__ = "people"
    __table_args__ = {"schema": "enrollment"}

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    external_id: str = Field(unique=True, max_length=100)
    name: str
    email: str
    entra_oid: str | None = Field(default=None, unique=True, max_length=64)
    org_unit_external_id: str | None = Field(default=None, max_length=100, index=True)
    org_unit_id: uuid.UUID | None = Field(default=None, foreign_key="enrollment.org_units.id", index=True)
    manager_external_id: str | None = Field(default=None, max_length=100)
    manager_id: uuid.UUID | None = Field(default=None, foreign_key="enrollment.people.id")
    active: bool = True
    # The language mails are written in: `nb` (Norwegian bokmål) unless HR says English (`en`).
    language: Language = Field(
        default=Language.nb, sa_type=EnumText(Language), sa_column_kwargs={"server_default": "nb"}
    )
    updated_at: datetime | None = server_timestamp()


class LeaderGroup(TableBase, table=True):
    """A top-leader group: the leader group of one org unit, led by its top leader."""

    __tablename__ = "leader_groups"
    __table_args__ = {"schema": "enrollment"}

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    external_id: str = Field(unique=True, max_length=100)
    org_unit_external_id: str | None = Field(default=None, max_length=100)
    org_unit_id: uuid.UUID | None = Field(default=None, foreign_key="enrollment.org_units.id", index=True)
    leader_external_id: str | None = Field(default=None, max_length=100)
    leader_id: uuid.UUID | None = Field(default=None, foreign_key="enrollment.people.id", index=True)
    name: str
    active: bool = True
    updated_at: datetime | None = server_timestamp()


class LeaderGroupMember(TableBase, table=True):
    __tablename__ = "leader_group_members"
    __table_args__ = {"schema": "enrollment"}

    group_id: uuid.UUID = Field(
        foreign_key="enrollment.leader_groups.id", primary_key=True, ondelete="CASCADE"
    )
    person_external_id: str = Field(primary_key=True, max_length=100)
    person_id: uuid.UUID | None = Field(default=None, foreign_key="enrollment.people.id", index=True)
    role_title: str | None = None


class AudiencePublished(TableBase, table=True):
    """The audience facts last published for a person (`directory.audience`): a change publishes only
    the people whose facts differ from these."""

    __tablename__ = "audience_published"
    __table_args__ = {"schema": "enrollment"}

    person_id: uuid.UUID = Field(primary_key=True)
    facts: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
