"""All SQL of the HR sync: set-based upserts, reference resolution and full-sync deactivation.

Each upsert is one statement for the whole batch (`unnest` of arrays), and it only touches rows whose
values differ (`WHERE ... IS DISTINCT FROM`), so a repeated batch changes nothing and returns nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.enrollment.hrsync.schemas import OrgUnitRecord, PersonRecord


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
                (id, external_id, name, email, entra_oid, org_unit_external_id, manager_external_id, active)
            SELECT gen_random_uuid(), r.external_id, r.name, r.email, r.entra_oid, r.org_unit_external_id,
                   r.manager_external_id, r.active
            FROM unnest(
                CAST(:external_ids AS text[]), CAST(:names AS text[]), CAST(:emails AS text[]),
                CAST(:oids AS text[]), CAST(:units AS text[]), CAST(:managers AS text[]),
                CAST(:actives AS boolean[])
            ) AS r(external_id, name, email, entra_oid, org_unit_external_id, manager_external_id, active)
            ON CONFLICT (external_id) DO UPDATE SET
                name = EXCLUDED.name, email = EXCLUDED.email, entra_oid = EXCLUDED.entra_oid,
                org_unit_external_id = EXCLUDED.org_unit_external_id,
                manager_external_id = EXCLUDED.manager_external_id, active = EXCLUDED.active,
                updated_at = now()
            WHERE (people.name, people.email, people.entra_oid, people.org_unit_external_id,
                   people.manager_external_id, people.active)
                IS DISTINCT FROM
                  (EXCLUDED.name, EXCLUDED.email, EXCLUDED.entra_oid, EXCLUDED.org_unit_external_id,
                   EXCLUDED.manager_external_id, EXCLUDED.active)
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
        },
    )
    return [Upserted(row.id, row.external_id, row.inserted) for row in rows]


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
_RESOLVE = {
    "org_unit_parents": """
        UPDATE enrollment.org_units c SET parent_id = t.id, updated_at = now()
        FROM enrollment.org_units c2 LEFT JOIN enrollment.org_units t ON t.external_id = c2.parent_external_id
        WHERE c2.id = c.id AND c.parent_id IS DISTINCT FROM t.id
        RETURNING c.id
    """,
    "person_units": """
        UPDATE enrollment.people p SET org_unit_id = t.id, updated_at = now()
        FROM enrollment.people p2 LEFT JOIN enrollment.org_units t ON t.external_id = p2.org_unit_external_id
        WHERE p2.id = p.id AND p.org_unit_id IS DISTINCT FROM t.id
        RETURNING p.id
    """,
    "person_managers": """
        UPDATE enrollment.people p SET manager_id = t.id, updated_at = now()
        FROM enrollment.people p2 LEFT JOIN enrollment.people t ON t.external_id = p2.manager_external_id
        WHERE p2.id = p.id AND p.manager_id IS DISTINCT FROM t.id
        RETURNING p.id
    """,
}


async def resolve_references(session: AsyncSession) -> dict[str, set[uuid.UUID]]:
    """Resolve every reference that can be resolved now; which org units and people changed."""
    changed: dict[str, set[uuid.UUID]] = {"org_units": set(), "people": set()}
    for name, statement in _RESOLVE.items():
        ids = (await session.execute(text(statement))).scalars().all()
        changed["org_units" if name.startswith("org_unit") else "people"].update(ids)
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
                """
            )
        )
    ).scalar_one()
    return int(row)


async def pending_references(session: AsyncSession, limit: int) -> list[dict[str, Any]]:
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
            ORDER BY 1, 2, 3 LIMIT :limit
            """
        ),
        {"limit": limit},
    )
    return [dict(row._mapping) for row in rows]


Table = Literal["org_units", "people"]


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
