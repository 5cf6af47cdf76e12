"""API schemas of the directory."""

from __future__ import annotations

import uuid

from pydantic import Field

from services.enrollment.directory.models import OrgUnitKind
from services.kernel.paging import Page
from services.kernel.schemas import ReadModel


class OrgUnitPublic(ReadModel):
    id: uuid.UUID
    external_id: str
    name: str
    kind: OrgUnitKind
    sector: str | None
    parent_id: uuid.UUID | None
    active: bool


class PersonPublic(ReadModel):
    id: uuid.UUID
    external_id: str
    name: str
    email: str
    org_unit_id: uuid.UUID | None
    manager_id: uuid.UUID | None
    active: bool
    language: str = Field(description="The language of the person's mails: `nb` (bokmål) or `en`.")


class LeaderGroupMemberPublic(ReadModel):
    person_id: uuid.UUID
    name: str
    role_title: str | None


class LeaderGroupPublic(ReadModel):
    id: uuid.UUID
    external_id: str
    name: str
    org_unit_id: uuid.UUID | None
    leader_id: uuid.UUID | None
    active: bool
    members: list[LeaderGroupMemberPublic]


class OrgUnitPage(Page[OrgUnitPublic]):
    """A page of org units."""


class PersonPage(Page[PersonPublic]):
    """A page of people."""


class LeaderGroupPage(Page[LeaderGroupPublic]):
    """A page of leader groups."""
