"""All SQL of the HR sync: set-based upserts, reference resolution and full-sync deactivation.

Each upsert is one statement for the whole batch (`unnest` of arrays), and it only touches rows whose
values differ (`WHERE ... IS DISTINCT FROM`), so a repeated batch changes nothing and returns nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from services.enrollment.directory.models import LeaderGroup, OrgUnit, Person
from services.enrollment.hrsync.schemas import LeaderGroupRecord, OrgUnitRecord, PersonRecord
from services.kernel.database import uuid_in
from services.kernel.languages import Language


@dataclass(frozen=True)
class Upserted:
    id: uuid.UUID
    external_id: str
    inserted: bool


async def upsert_org_units(session: AsyncSession, records: Sequence[OrgUnitRecord]) -> list[Upserted]:
    rows = await session.execute(
        text(
            """
            INSERT INTO enrollment.org_units (id, external_id, name, kind, sector, parent_external_id, active)
            SELECT gen_random_uuid(), r.external_id, r.name, r.kind, r.sector, r.parent_external_id, r.active
            FROM unnest(
                CAST(:external_ids AS text[]), CAST(:names AS text[]), CAST(:kinds AS text[]),
                CAST(:sectors AS text[]), CAST(:parents AS text[]), CAST(:actives AS boolean[])
            ) AS r(external_id, name, kind, sector, parent_external_id, active)
            ON CONFLICT (external_id) DO UPDATE SET
                name = EXCLUDED.name, kind = EXCLUDED.kind, sector = EXCLUDED.sector,
                parent_external_id = EXCLUDED.parent_external_id, active = EXCLUDED.active,
                updated_at = now()
            WHERE (org_units.name, org_units.kind, org_units.sector, org_units.parent_external_id,
                   org_units.active)
                IS DISTINCT FROM
                  (EXCLUDED.name, EXCLUDED.kind, EXCLUDED.sector, EXCLUDED.parent_external_id,
                   EXCLUDED.active)
            RETURNING id, external_id, (xmax = 0) AS inserted
            """
        ),
        {
            "external_ids": [r.external_id for r in records],
            "names": [r.name for r in records],
            "kinds": [r.kind.value for r in records],
            "sectors": [r.sector for r in records],
            "parents": [r.parent_external_id for r in records],
            "actives": [r.active for r in records],
        },
    )
    return [Upserted(row.id, row.external_id, row.inserted) for row in rows]


async def upsert_people(session: AsyncSession, records: Sequence[PersonRecord]) -> list[Upserted]:
    rows = await session.execute(
        text(
            """
            INSERT INTO enrollment.people
                (id, external_id, name, email, entra_oid, org_unit_external_id, manager_external_id, active,
                 language)
            SELECT gen_random_uuid(), r.external_id, r.name, r.email, r.entra_oid, r.org_unit_external_id,
                   r.manager_external_id, r.active, r.language
            FROM unnest(
                CAST(:external_ids AS text[]), CAST(:names AS text[]), CAST(:emails AS text[]),
                CAST(:oids AS text[]), CAST(:units AS text[]), CAST(:managers AS text[]),
                CAST(:actives AS boolean[]), CAST(:languages AS text[])
            ) AS r(external_id, name, email, entra_oid, org_unit_external_id, manager_external_id, active,
                   language)
            ON CONFLICT (external_id) DO UPDATE SET
                name = EXCLUDED.name, email = EXCLUDED.email, entra_oid = EXCLUDED.entra_oid,
                org_unit_external_id = EXCLUDED.org_unit_external_id,
                manager_external_id = EXCLUDED.manager_external_id, active = EXCLUDED.active,
                language = EXCLUDED.language, updated_at = now()
            WHERE (people.name, people.email, people.entra_oid, people.org_unit_external_id,
                   people.manager_external_id, people.active, people.language)
                IS DISTINCT FROM
                  (EXCLUDED.name, EXCLUDED.email, EXCLUDED.entra_oid, EXCLUDED.org_unit_external_id,
                   EXCLUDED.manager_external_id, EXCLUDED.active, EXCLUDED.language)
            RETURNING id, external_id, (xmax = 0) AS inserted
            """
        ),
        {
            "external_ids": [r.external_id for r in records],
            "names": [r.name for r in records],
            "emails": [r.email for r in records],
            "oids": [str(r.entra_oid) if r.entra_oid else None for r in records],
            "units": [r.org_unit_external_id for r in records],
            "managers": [r.manager_external_id for r in records],
            "actives": [r.active for r in records],
            "languages": [Language.of(r.preferred_language).value for r in records],
        },
    )
    return [Upserted(row.id, row.external_id, row.inserted) for row in rows]


async def upsert_leader_groups(session: AsyncSession, records: Sequence[LeaderGroupRecord]) -> list[Upserted]:
    """Upsert the groups, then make each group's membership exactly the one sent."""
    rows = await session.execute(
        text(
            """
            INSERT INTO enrollment.leader_groups
                (id, external_id, name, org_unit_external_id, leader_external_id, active)
            SELECT gen_random_uuid(), r.external_id, r.name, r.org_unit_external_id, r.leader_external_id,
                   r.active
            FROM unnest(
                CAST(:external_ids AS text[]), CAST(:names AS text[]), CAST(:units AS text[]),
                CAST(:leaders AS text[]), CAST(:actives AS boolean[])
            ) AS r(external_id, name, org_unit_external_id, leader_external_id, active)
            ON CONFLICT (external_id) DO UPDATE SET
                name = EXCLUDED.name, org_unit_external_id = EXCLUDED.org_unit_external_id,
                leader_external_id = EXCLUDED.leader_external_id, active = EXCLUDED.active, updated_at = now()
            WHERE (leader_groups.name, leader_groups.org_unit_external_id, leader_groups.leader_external_id,
                   leader_groups.active)
                IS DISTINCT FROM
                  (EXCLUDED.name, EXCLUDED.org_unit_external_id, EXCLUDED.leader_external_id, EXCLUDED.active)
            RETURNING id, external_id, (xmax = 0) AS inserted
            """
        ),
        {
            "external_ids": [r.external_id for r in records],
            "names": [r.name for r in records],
            "units": [r.org_unit_external_id for r in records],
            "leaders": [r.leader_external_id for r in records],
            "actives": [r.active for r in records],
        },
    )
    upserted = [Upserted(row.id, row.external_id, row.inserted) for row in rows]
    members = [(r.external_id, m.person_external_id, m.role_title) for r in records for m in r.members]
    # Memberships that differ from what was sent: removed, added, or with another role title.
    changed = await session.execute(
        text(
            """
            WITH wanted AS (
                SELECT g.id AS group_id, w.person_external_id, w.role_title
                FROM unnest(CAST(:groups AS text[]), CAST(:people AS text[]), CAST(:titles AS text[]))
                     AS w(group_external_id, person_external_id, role_title)
                JOIN enrollment.leader_groups g ON g.external_id = w.group_external_id
            ),
            removed AS (
                DELETE FROM enrollment.leader_group_members m
                USING enrollment.leader_groups g
                WHERE g.id = m.group_id AND g.external_id = ANY(CAST(:batch AS text[]))
                  AND NOT EXISTS (
                      SELECT 1 FROM wanted w WHERE w.group_id = m.group_id
                        AND w.person_external_id = m.person_external_id
                  )
                RETURNING m.group_id
            ),
            added AS (
                INSERT INTO enrollment.leader_group_members (group_id, person_external_id, role_title)
                SELECT group_id, person_external_id, role_title FROM wanted
                ON CONFLICT (group_id, person_external_id) DO UPDATE SET role_title = EXCLUDED.role_title
                WHERE leader_group_members.role_title IS DISTINCT FROM EXCLUDED.role_title
                RETURNING group_id
            )
            SELECT group_id FROM removed UNION SELECT group_id FROM added
            """
        ),
        {
            "groups": [g for g, _, _ in members],
            "people": [p for _, p, _ in members],
            "titles": [t for _, _, t in members],
            "batch": [r.external_id for r in records],
        },
    )
    seen = {u.id for u in upserted}
    external = {row.id: row.external_id for row in await _group_ids(session, changed.scalars().all())}
    upserted += [Upserted(gid, external[gid], False) for gid in external if gid not in seen]
    return upserted


async def _group_ids(session: AsyncSession, ids: Sequence[uuid.UUID]) -> Sequence[Any]:
    rows = await session.execute(
        text("SELECT id, external_id FROM enrollment.leader_groups WHERE id = ANY(CAST(:ids AS uuid[]))"),
        {"ids": list(ids)},
    )
    return rows.all()


async def oid_holders(session: AsyncSession, oids: Sequence[str]) -> dict[str, str]:
    """entra_oid -> external id of the person holding it now."""
    rows = await session.execute(
        text(
            "SELECT entra_oid, external_id FROM enrollment.people "
            "WHERE entra_oid = ANY(CAST(:oids AS text[]))"
        ),
        {"oids": list(oids)},
    )
    return {row.entra_oid: row.external_id for row in rows}


# Each resolves one kind of reference for every row whose key differs from what its external id names
# now (set when the target exists, cleared when the reference is gone), and returns the rows it changed.
_RESOLVE: dict[str, tuple[str, str]] = {
    "org_unit_parents": (
        "org_units",
        """
        UPDATE enrollment.org_units c SET parent_id = t.id, updated_at = now()
        FROM enrollment.org_units c2 LEFT JOIN enrollment.org_units t ON t.external_id = c2.parent_external_id
        WHERE c2.id = c.id AND c.parent_id IS DISTINCT FROM t.id
        RETURNING c.id
    """,
    ),
    "person_units": (
        "people",
        """
        UPDATE enrollment.people p SET org_unit_id = t.id, updated_at = now()
        FROM enrollment.people p2 LEFT JOIN enrollment.org_units t ON t.external_id = p2.org_unit_external_id
        WHERE p2.id = p.id AND p.org_unit_id IS DISTINCT FROM t.id
        RETURNING p.id
    """,
    ),
    "group_units": (
        "leader_groups",
        """
        UPDATE enrollment.leader_groups g SET org_unit_id = t.id, updated_at = now()
        FROM enrollment.leader_groups g2
        LEFT JOIN enrollment.org_units t ON t.external_id = g2.org_unit_external_id
        WHERE g2.id = g.id AND g.org_unit_id IS DISTINCT FROM t.id
        RETURNING g.id
    """,
    ),
    "group_leaders": (
        "leader_groups",
        """
        UPDATE enrollment.leader_groups g SET leader_id = t.id, updated_at = now()
        FROM enrollment.leader_groups g2
        LEFT JOIN enrollment.people t ON t.external_id = g2.leader_external_id
        WHERE g2.id = g.id AND g.leader_id IS DISTINCT FROM t.id
        RETURNING g.id
    """,
    ),
    "group_members": (
        "leader_groups",
        """
        UPDATE enrollment.leader_group_members m SET person_id = t.id
        FROM enrollment.leader_group_members m2
        LEFT JOIN enrollment.people t ON t.external_id = m2.person_external_id
        WHERE m2.group_id = m.group_id AND m2.person_external_id = m.person_external_id
          AND m.person_id IS DISTINCT FROM t.id
        RETURNING m.group_id
    """,
    ),
    "person_managers": (
        "people",
        """
        UPDATE enrollment.people p SET manager_id = t.id, updated_at = now()
        FROM enrollment.people p2 LEFT JOIN enrollment.people t ON t.external_id = p2.manager_external_id
        WHERE p2.id = p.id AND p.manager_id IS DISTINCT FROM t.id
        RETURNING p.id
    """,
    ),
}


async def resolve_references(session: AsyncSession) -> dict[str, set[uuid.UUID]]:
    """Resolve every reference that can be resolved now; which org units and people changed."""
    changed: dict[str, set[uuid.UUID]] = {"org_units": set(), "people": set(), "leader_groups": set()}
    for owner, statement in _RESOLVE.values():
        changed[owner].update((await session.execute(text(statement))).scalars().all())
    return changed


async def pending_counts(session: AsyncSession) -> int:
    row = (
        await session.execute(
            text(
                """
                SELECT (SELECT count(*) FROM enrollment.org_units
                        WHERE parent_external_id IS NOT NULL AND parent_id IS NULL)
                     + (SELECT count(*) FROM enrollment.people
                        WHERE org_unit_external_id IS NOT NULL AND org_unit_id IS NULL)
                     + (SELECT count(*) FROM enrollment.people
                        WHERE manager_external_id IS NOT NULL AND manager_id IS NULL)
                     + (SELECT count(*) FROM enrollment.leader_groups
                        WHERE org_unit_external_id IS NOT NULL AND org_unit_id IS NULL)
                     + (SELECT count(*) FROM enrollment.leader_groups
                        WHERE leader_external_id IS NOT NULL AND leader_id IS NULL)
                     + (SELECT count(*) FROM enrollment.leader_group_members WHERE person_id IS NULL)
                """
            )
        )
    ).scalar_one()
    return int(row)


async def pending_references(session: AsyncSession, limit: int, offset: int) -> list[dict[str, Any]]:
    rows = await session.execute(
        text(
            """
            SELECT 'org-unit' AS record, external_id, 'parent' AS reference, parent_external_id AS missing
            FROM enrollment.org_units WHERE parent_external_id IS NOT NULL AND parent_id IS NULL
            UNION ALL
            SELECT 'person', external_id, 'org-unit', org_unit_external_id
            FROM enrollment.people WHERE org_unit_external_id IS NOT NULL AND org_unit_id IS NULL
            UNION ALL
            SELECT 'person', external_id, 'manager', manager_external_id
            FROM enrollment.people WHERE manager_external_id IS NOT NULL AND manager_id IS NULL
            UNION ALL
            SELECT 'leader-group', external_id, 'org-unit', org_unit_external_id
            FROM enrollment.leader_groups WHERE org_unit_external_id IS NOT NULL AND org_unit_id IS NULL
            UNION ALL
            SELECT 'leader-group', external_id, 'leader', leader_external_id
            FROM enrollment.leader_groups WHERE leader_external_id IS NOT NULL AND leader_id IS NULL
            UNION ALL
            SELECT 'leader-group', g.external_id, 'member', m.person_external_id
            FROM enrollment.leader_group_members m JOIN enrollment.leader_groups g ON g.id = m.group_id
            WHERE m.person_id IS NULL
            ORDER BY 1, 2, 3, 4 LIMIT :limit OFFSET :offset
            """
        ),
        {"limit": limit, "offset": offset},
    )
    return [dict(row._mapping) for row in rows]


Table = Literal["org_units", "people", "leader_groups"]


async def missing_from(session: AsyncSession, table: Table, external_ids: Sequence[str]) -> tuple[int, int]:
    """(active records not in `external_ids`, active records) for a full sync's guard."""
    row = (
        await session.execute(
            text(
                f"""
                SELECT count(*) FILTER (WHERE external_id <> ALL(CAST(:ids AS text[]))) AS missing,
                       count(*) AS active
                FROM enrollment.{table} WHERE active
                """
            ),
            {"ids": list(external_ids)},
        )
    ).one()
    return int(row.missing), int(row.active)


async def deactivate_missing(
    session: AsyncSession, table: str, external_ids: Sequence[str]
) -> list[uuid.UUID]:
    rows = await session.execute(
        text(
            f"""
            UPDATE enrollment.{table} SET active = false, updated_at = now()
            WHERE active AND external_id <> ALL(CAST(:ids AS text[]))
            RETURNING id
            """
        ),
        {"ids": list(external_ids)},
    )
    return list(rows.scalars().all())


async def org_units(session: AsyncSession, ids: Collection[uuid.UUID]) -> list[OrgUnit]:
    """These units, by external id (the order their events are published in)."""
    found = await session.execute(
        select(OrgUnit).where(uuid_in(col(OrgUnit.id), ids)).order_by(col(OrgUnit.external_id))
    )
    return list(found.scalars())


async def people(session: AsyncSession, ids: Collection[uuid.UUID]) -> list[Person]:
    """These people, by external id."""
    found = await session.execute(
        select(Person).where(uuid_in(col(Person.id), ids)).order_by(col(Person.external_id))
    )
    return list(found.scalars())


async def leader_groups(session: AsyncSession, ids: Collection[uuid.UUID]) -> list[LeaderGroup]:
    """These groups, by external id."""
    found = await session.execute(
        select(LeaderGroup).where(uuid_in(col(LeaderGroup.id), ids)).order_by(col(LeaderGroup.external_id))
    )
    return list(found.scalars())
