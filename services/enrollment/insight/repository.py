"""SQL for the programme's insight: who took part in what, and who met whom.

Group membership is the directory's as it is now: HR sends the current groups, not their history, so a
member who left a group no longer counts for it in earlier periods.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

# Each org unit's sector: its own, or its nearest ancestor's (a department inherits its agency's), as
# the reflection groups read it.
SECTORS = """
    WITH RECURSIVE up(unit_id, at_id, sector, depth) AS (
        SELECT u.id, u.parent_id, u.sector, 0 FROM enrollment.org_units u
        UNION ALL
        SELECT up.unit_id, p.parent_id, p.sector, up.depth + 1
        FROM up JOIN enrollment.org_units p ON p.id = up.at_id
        WHERE up.sector IS NULL AND up.depth < 32
    ),
    sectors AS (
        SELECT DISTINCT ON (unit_id) unit_id, sector FROM up WHERE sector IS NOT NULL
        ORDER BY unit_id, depth
    )
"""
GROUPS = text(
    f"""{SECTORS}
    SELECT g.id AS group_id, g.name, g.leader_id, p.name AS leader_name,
           u.id AS org_unit_id, u.name AS org_unit, s.sector
    FROM enrollment.leader_groups g
    LEFT JOIN enrollment.org_units u ON u.id = g.org_unit_id
    LEFT JOIN sectors s ON s.unit_id = u.id
    LEFT JOIN enrollment.people p ON p.id = g.leader_id
    WHERE g.active AND (CAST(:sector AS text) IS NULL OR s.sector = :sector)
    ORDER BY g.name, g.id
    """  # noqa: S608 - a constant, no input
)
MEMBERS = text(
    """
    SELECT m.group_id, m.person_id FROM enrollment.leader_group_members m
    WHERE m.group_id = ANY(:groups) AND m.person_id IS NOT NULL
    """
)
# Per person and kind: a confirmed place in a session held (not cancelled) in the period, marked present,
# or a completion recorded in the period (which implies both).
REACH = text(
    """
    SELECT person_id, kind, bool_or(attended) AS attended, bool_or(completed) AS completed
    FROM (
        SELECT pa.person_id, s.offering_kind AS kind, coalesce(pa.attendance = 'attended', false) AS attended,
               false AS completed
        FROM enrollment.participations pa JOIN enrollment.sessions s ON s.id = pa.session_id
        WHERE pa.status = 'confirmed' AND s.status <> 'cancelled'
          AND s.starts_at >= :starts_at AND s.starts_at < :ends_at AND pa.person_id = ANY(:people)
        UNION ALL
        SELECT c.person_id, o.kind_code, true, true
        FROM enrollment.completions c JOIN enrollment.offerings o ON o.id = c.offering_id
        WHERE c.status = 'completed' AND c.completed_at >= :starts_at AND c.completed_at < :ends_at
          AND c.person_id = ANY(:people)
    ) AS reach
    GROUP BY person_id, kind
    """
)
# Per person, year (in Oslo) and kind: a confirmed place in a session held that year.
YEARS = text(
    """
    SELECT DISTINCT pa.person_id, s.offering_kind AS kind,
           CAST(extract(year FROM s.starts_at AT TIME ZONE 'Europe/Oslo') AS int) AS year
    FROM enrollment.participations pa JOIN enrollment.sessions s ON s.id = pa.session_id
    WHERE pa.status = 'confirmed' AND s.status <> 'cancelled' AND s.starts_at < :ends_at
      AND pa.person_id = ANY(:people)
    """
)
PROGRAMMES = text(
    """
    SELECT e.leader_group_id, o.id AS offering_id, o.title AS offering_title,
           (SELECT count(*) FROM enrollment.sessions s
            WHERE s.offering_id = o.id AND s.status <> 'cancelled') AS sessions_total,
           (SELECT count(DISTINCT pa.session_id) FROM enrollment.participations pa
            JOIN enrollment.sessions s ON s.id = pa.session_id
            WHERE pa.enrollment_id = e.id AND pa.attendance = 'attended' AND s.status <> 'cancelled')
               AS sessions_attended
    FROM enrollment.enrollments e JOIN enrollment.offerings o ON o.id = e.offering_id
    WHERE e.kind = 'group' AND e.status = 'confirmed' AND o.is_programme AND e.leader_group_id = ANY(:groups)
      AND EXISTS (SELECT 1 FROM enrollment.sessions s WHERE s.offering_id = o.id AND s.status <> 'cancelled'
                  AND s.starts_at >= :starts_at AND s.starts_at < :ends_at)
    ORDER BY o.title, e.leader_group_id
    """
)


async def groups(session: AsyncSession, sector: str | None) -> Sequence[Any]:
    return (await session.execute(GROUPS, {"sector": sector})).all()


async def members(session: AsyncSession, group_ids: list[uuid.UUID]) -> Sequence[Any]:
    return (await session.execute(MEMBERS, {"groups": group_ids})).all()


async def reach(
    session: AsyncSession, people: list[uuid.UUID], starts_at: datetime, ends_at: datetime
) -> Sequence[Any]:
    params = {"people": people, "starts_at": starts_at, "ends_at": ends_at}
    return (await session.execute(REACH, params)).all()


async def years(session: AsyncSession, people: list[uuid.UUID], ends_at: datetime) -> Sequence[Any]:
    return (await session.execute(YEARS, {"people": people, "ends_at": ends_at})).all()


async def programmes(
    session: AsyncSession, group_ids: list[uuid.UUID], starts_at: datetime, ends_at: datetime
) -> Sequence[Any]:
    params = {"groups": group_ids, "starts_at": starts_at, "ends_at": ends_at}
    return (await session.execute(PROGRAMMES, params)).all()


# The occasions that bring leaders of different agencies together, with the agencies present at each:
# held sessions of the chosen kinds (a confirmed place, not marked absent or excused) and the groups of
# confirmed reflection rounds. An agency is the org unit a person belongs to.
PRESENT = text(
    """
    WITH occasions AS (
        SELECT 's:' || s.id AS occasion, s.starts_at AS at, pa.person_id
        FROM enrollment.participations pa JOIN enrollment.sessions s ON s.id = pa.session_id
        WHERE pa.status = 'confirmed' AND coalesce(pa.attendance, 'attended') = 'attended'
          AND s.status <> 'cancelled' AND s.starts_at < :now
          AND s.starts_at >= :starts_at AND s.starts_at < :ends_at AND s.offering_kind = ANY(:kinds)
        UNION ALL
        SELECT 'r:' || m.round_id || ':' || m.group_number, r.confirmed_at, m.person_id
        FROM enrollment.reflection_members m JOIN enrollment.reflection_rounds r ON r.id = m.round_id
        WHERE r.status = 'confirmed' AND 'reflection-group' = ANY(:kinds)
          AND r.confirmed_at >= :starts_at AND r.confirmed_at < :ends_at
          AND r.id IS DISTINCT FROM CAST(:exclude_round AS uuid)
    )
    SELECT DISTINCT o.occasion, o.at, p.org_unit_id AS unit
    FROM occasions o JOIN enrollment.people p ON p.id = o.person_id
    WHERE p.org_unit_id IS NOT NULL
    ORDER BY o.occasion, p.org_unit_id
    """
)
AGENCIES = text(
    f"""{SECTORS}
    SELECT u.id, u.name, s.sector FROM enrollment.org_units u LEFT JOIN sectors s ON s.unit_id = u.id
    WHERE u.id = ANY(:units)
       OR u.id IN (SELECT g.org_unit_id FROM enrollment.leader_groups g WHERE g.active)
    ORDER BY s.sector NULLS LAST, u.name, u.id
    """  # noqa: S608 - a constant, no input
)


async def present(
    session: AsyncSession,
    kinds: list[str],
    starts_at: datetime,
    ends_at: datetime,
    now: datetime,
    *,
    exclude_round: uuid.UUID | None = None,
) -> Sequence[Any]:
    """Every occasion (`occasion`, `at`) with each agency (`unit`) whose leaders were there (the groups of
    reflection round `exclude_round` left out)."""
    params = {
        "kinds": kinds,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "now": now,
        "exclude_round": exclude_round,
    }
    return (await session.execute(PRESENT, params)).all()


async def agencies(session: AsyncSession, units: list[uuid.UUID]) -> Sequence[Any]:
    """These org units and those of every active top-leader group: the programme's agencies."""
    return (await session.execute(AGENCIES, {"units": units})).all()
