"""Publishing what the audience rules know of each person when a directory change alters it.

After every change to the directory (an HR sync batch, the demo data) the facts of every person with a
sign-in are computed in one statement and compared with those last published; only the people whose
facts differ get an `enrollment.audience_changed` event. A change high in the org tree (a unit moved)
thereby reaches everyone under it without the sync having to know who that is. Two syncs at once may
both publish a change; the catalogue's copy is a plain overwrite, so that is harmless.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.enrollment.events import SOURCE, AudienceChanged
from services.kernel.eventbus import publish_many

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


async def publish_changes(session: AsyncSession) -> int:
    """Publish the audience facts of everyone whose facts changed since last published; how many."""
    rows = (await session.execute(_CHANGED)).all()
    events: list[tuple[Any, Any]] = [
        (AudienceChanged(person_id=row.person_id, **row.facts), row.person_id) for row in rows
    ]
    if events:
        await publish_many(session, events, source=SOURCE)
    return len(events)
