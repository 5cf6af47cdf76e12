"""SQL for directory reads."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import or_, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from services.enrollment.directory.models import LeaderGroup, LeaderGroupMember, OrgUnit, Person
from services.kernel.database import uuid_in

_CHANGED = text(
    """
    WITH RECURSIVE up(unit_id, ancestor_id, depth) AS (
        SELECT id, id, 0 FROM enrollment.org_units
        UNION ALL
        SELECT up.unit_id, u.parent_id, up.depth + 1
        FROM up JOIN enrollment.org_units u ON u.id = up.ancestor_id
        WHERE u.parent_id IS NOT NULL AND up.depth < 50
    ),
    units AS (
        SELECT unit_id, jsonb_agg(DISTINCT ancestor_id ORDER BY ancestor_id) AS ids FROM up GROUP BY unit_id
    ),
    current AS (
        SELECT p.id AS person_id, jsonb_build_object(
            'entra_oid', p.entra_oid,
            'active', p.active,
            'leads_group', EXISTS (
                SELECT 1 FROM enrollment.leader_groups g WHERE g.leader_id = p.id AND g.active),
            'leader', EXISTS (
                    SELECT 1 FROM enrollment.leader_groups g WHERE g.leader_id = p.id AND g.active)
                OR EXISTS (
                    SELECT 1 FROM enrollment.leader_group_members m
                    JOIN enrollment.leader_groups g ON g.id = m.group_id
                    WHERE m.person_id = p.id AND g.active)
                OR EXISTS (SELECT 1 FROM enrollment.people q WHERE q.manager_id = p.id AND q.active),
            'units', COALESCE(pu.ids, '[]'::jsonb),
            'groups', COALESCE((
                SELECT jsonb_agg(jsonb_build_object(
                    'leader_group_id', g.id, 'units', COALESCE(gu.ids, '[]'::jsonb)) ORDER BY g.id)
                FROM enrollment.leader_groups g LEFT JOIN units gu ON gu.unit_id = g.org_unit_id
                WHERE g.leader_id = p.id AND g.active), '[]'::jsonb)
        ) AS facts
        FROM enrollment.people p LEFT JOIN units pu ON pu.unit_id = p.org_unit_id
        WHERE p.entra_oid IS NOT NULL
    ),
    changed AS (
        INSERT INTO enrollment.audience_published AS a (person_id, facts)
        SELECT c.person_id, c.facts FROM current c
        LEFT JOIN enrollment.audience_published was ON was.person_id = c.person_id
        WHERE was.facts IS DISTINCT FROM c.facts
        ORDER BY c.person_id  -- one lock order when two syncs publish at once
        ON CONFLICT (person_id) DO UPDATE SET facts = EXCLUDED.facts
        RETURNING a.person_id, a.facts
    )
    SELECT person_id, facts FROM changed ORDER BY person_id
    """
)


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


async def record_changed_audience_facts(session: AsyncSession) -> list[Any]:
    """Work out every signed-in person's audience facts, record those that differ from the facts last
    recorded, and return them (person_id, facts), by person."""
    return list((await session.execute(_CHANGED)).all())
