"""API schemas of the directory."""

from __future__ import annotations

import uuid

from services.enrollment.directory.models import OrgUnitKind
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
    active: bool
