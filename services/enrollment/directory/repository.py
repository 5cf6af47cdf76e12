"""SQL for directory reads."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import or_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from services.enrollment.directory.models import LeaderGroup, LeaderGroupMember, OrgUnit, Person
from services.kernel.database import uuid_in


def _like(text: str) -> str:
    """A substring pattern for ILIKE in which %, _ and backslash are literal."""
    return "%" + re.sub(r"([\\%_])", r"\\\1", text) + "%"


async def person_by_oid(session: AsyncSession, oid: str) -> Person | None:
    result = await session.execute(select(Person).where(Person.entra_oid == oid))
    return result.scalar_one_or_none()


async def get_person(session: AsyncSession, person_id: uuid.UUID) -> Person | None:
    return await session.get(Person, person_id)


async def search_people(
    session: AsyncSession,
    *,
    q: str | None,
    org_unit_id: uuid.UUID | None,
    active: bool | None,
    limit: int,
    offset: int,
) -> Sequence[Person]:
    query = select(Person).order_by(col(Person.name), col(Person.id))
    if q:
        pattern = _like(q)
        query = query.where(
            or_(
                col(Person.name).ilike(pattern),
                col(Person.email).ilike(pattern),
                col(Person.external_id).ilike(pattern),
            )
        )
    if org_unit_id is not None:
        query = query.where(Person.org_unit_id == org_unit_id)
    if active is not None:
        query = query.where(Person.active == active)
    return (await session.execute(query.limit(limit).offset(offset))).scalars().all()


async def search_org_units(
    session: AsyncSession,
    *,
    q: str | None,
    kind: str | None,
    sector: str | None,
    active: bool | None,
    limit: int,
    offset: int,
) -> Sequence[OrgUnit]:
    query = select(OrgUnit).order_by(col(OrgUnit.name), col(OrgUnit.id))
    if q:
        query = query.where(or_(col(OrgUnit.name).ilike(_like(q)), col(OrgUnit.external_id).ilike(_like(q))))
    if kind is not None:
        query = query.where(OrgUnit.kind == kind)
    if sector is not None:
        query = query.where(OrgUnit.sector == sector)
    if active is not None:
        query = query.where(OrgUnit.active == active)
    return (await session.execute(query.limit(limit).offset(offset))).scalars().all()


async def get_org_unit(session: AsyncSession, org_unit_id: uuid.UUID) -> OrgUnit | None:
    return await session.get(OrgUnit, org_unit_id)


async def search_groups(
    session: AsyncSession, *, q: str | None, org_unit_id: uuid.UUID | None, limit: int, offset: int
) -> Sequence[LeaderGroup]:
    query = select(LeaderGroup).order_by(col(LeaderGroup.name), col(LeaderGroup.id))
    if q:
        query = query.where(col(LeaderGroup.name).ilike(_like(q)))
    if org_unit_id is not None:
        query = query.where(LeaderGroup.org_unit_id == org_unit_id)
    return (await session.execute(query.limit(limit).offset(offset))).scalars().all()


async def groups_led_by(session: AsyncSession, person_id: uuid.UUID) -> Sequence[LeaderGroup]:
    result = await session.execute(
        select(LeaderGroup)
        .where(LeaderGroup.leader_id == person_id, col(LeaderGroup.active))
        .order_by(col(LeaderGroup.name))
    )
    return result.scalars().all()


async def get_group(session: AsyncSession, group_id: uuid.UUID) -> LeaderGroup | None:
    return await session.get(LeaderGroup, group_id)


async def members_of(
    session: AsyncSession, group_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[dict[str, Any]]]:
    """Resolved members (pending ones are not members yet), by group."""
    rows = await session.execute(
        select(
            col(LeaderGroupMember.group_id),
            col(Person.id),
            col(Person.name),
            col(LeaderGroupMember.role_title),
        )
        .join(Person, col(Person.id) == col(LeaderGroupMember.person_id))
        .where(uuid_in(col(LeaderGroupMember.group_id), group_ids))
        .order_by(col(Person.name))
    )
    members: dict[uuid.UUID, list[dict[str, Any]]] = {}
    for group_id, person_id, name, role_title in rows.all():
        members.setdefault(group_id, []).append(
            {"person_id": person_id, "name": name, "role_title": role_title}
        )
    return members
