"""The reads behind an enrollment request: whom it enrolls and in what, in one statement, one round trip;
and the facts the audience rules judge a person or a group by.

Run on the driver's connection by `asks.prepare` (no transaction, no ORM: this runs for every request
of a rush). A row of NULLs on either side means not found; `not_yet_known` says whether the catalogue's
event scheduling the session or publishing the offering is committed but not yet handled here.
"""

from __future__ import annotations

import uuid

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.enrollment.offerings.models import OfferingView
from services.kernel.audience import AudienceFacts
from services.kernel.database import DriverStatement

# The facts the audience rules judge by (`kernel.audience.AudienceFacts`), for the person or group in
# `who`: whether they lead an active top-leader group, whether they are a leader at all (lead or sit in
# an active top-leader group, or manage someone active), and their org unit with every unit above it.
_UNITS_UP = """
    ARRAY(WITH RECURSIVE up(id, parent_id, depth) AS (
              SELECT u.id, u.parent_id, 0 FROM enrollment.org_units u WHERE u.id = who.org_unit_id
              UNION ALL
              SELECT u.id, u.parent_id, up.depth + 1
              FROM enrollment.org_units u JOIN up ON u.id = up.parent_id WHERE up.depth < 50)
          SELECT id FROM up) AS units
"""


PERSON_FACTS = f"""
    EXISTS (SELECT 1 FROM enrollment.leader_groups g WHERE g.leader_id = who.id AND g.active) AS leads_group,
    (EXISTS (SELECT 1 FROM enrollment.leader_groups g WHERE g.leader_id = who.id AND g.active)
     OR EXISTS (SELECT 1 FROM enrollment.leader_group_members m
                JOIN enrollment.leader_groups g ON g.id = m.group_id WHERE m.person_id = who.id AND g.active)
     OR EXISTS (SELECT 1 FROM enrollment.people q WHERE q.manager_id = who.id AND q.active)) AS leader,
    {_UNITS_UP}
"""


GROUP_FACTS = f"false AS leads_group, false AS leader, {_UNITS_UP}"


async def person_facts(session: AsyncSession, person_id: uuid.UUID) -> AudienceFacts:
    row = (
        await session.execute(
            text(f"SELECT {PERSON_FACTS} FROM enrollment.people who WHERE who.id = :id"), {"id": person_id}
        )
    ).one()
    return AudienceFacts.of(row._mapping)


async def group_facts(session: AsyncSession, group_id: uuid.UUID) -> AudienceFacts:
    row = (
        await session.execute(
            text(f"SELECT {GROUP_FACTS} FROM enrollment.leader_groups who WHERE who.id = :id"),
            {"id": group_id},
        )
    ).one()
    return AudienceFacts.of(row._mapping)


OFFERING_COLUMNS = tuple(c.name for c in OfferingView.__table__.columns)  # type: ignore[attr-defined]
# The offering's columns as `what_<name>`: they share one row with the person's or group's.
_OFFERING = ", ".join(f"o.{name} AS what_{name}" for name in OFFERING_COLUMNS)
_PERSON = f"SELECT who.id, who.active, who.org_unit_id, {PERSON_FACTS} FROM enrollment.people who"
_SELF = f"{_PERSON} WHERE who.entra_oid = :oid"
_SOMEONE = f"{_PERSON} WHERE who.id = :who_id"
_GROUP = f"""
    SELECT who.id, who.active, leader.entra_oid AS leader_oid, leader.active AS leader_active,
           {GROUP_FACTS},
           ARRAY(SELECT p.id FROM enrollment.people p
                 WHERE p.active AND (p.id = who.leader_id OR p.id IN (
                     SELECT m.person_id FROM enrollment.leader_group_members m WHERE m.group_id = who.id))
                 ORDER BY p.name, p.id) AS people,
           ARRAY(SELECT p.org_unit_id FROM enrollment.people p
                 WHERE p.active AND (p.id = who.leader_id OR p.id IN (
                     SELECT m.person_id FROM enrollment.leader_group_members m WHERE m.group_id = who.id))
                 ORDER BY p.name, p.id) AS people_units
    FROM enrollment.leader_groups who LEFT JOIN enrollment.people leader ON leader.id = who.leader_id
    WHERE who.id = :who_id
"""
_SESSION = (
    f"SELECT {_OFFERING}, s.offering_id AS what_offering_of FROM enrollment.sessions s "
    "LEFT JOIN enrollment.offerings o ON o.id = s.offering_id WHERE s.id = :what_id"
)
_PROGRAMME = (
    f"SELECT {_OFFERING}, o.id AS what_offering_of, "
    "ARRAY(SELECT s.id FROM enrollment.sessions s WHERE s.offering_id = o.id "
    "AND s.status = 'scheduled' ORDER BY s.id) AS what_session_ids "
    "FROM enrollment.offerings o WHERE o.id = :what_id"
)


# Only when the session or offering is missing or a draft (CASE evaluates it only then), in the same
# snapshot as the read itself: whether the catalogue's event scheduling the session or publishing the
# offering is committed but not yet handled here.
_PENDING = """
    CASE WHEN x.what_id IS NULL OR x.what_status = 'draft' THEN
        EXISTS (
            SELECT 1 FROM eventbus.events e JOIN eventbus.subscriptions s ON s.name = 'enrollment.sessions'
            WHERE e.topic = 'catalog.session_scheduled'
              AND e.aggregate_id = CAST(CAST(:what_id AS uuid) AS text)
              AND (e.xid, e.id) > (s.last_xid, s.last_id))
        OR EXISTS (
            SELECT 1 FROM eventbus.events e JOIN eventbus.subscriptions s ON s.name = 'enrollment.offerings'
            WHERE e.topic = 'catalog.offering_published'
              AND e.aggregate_id IN (CAST(CAST(:what_id AS uuid) AS text), CAST(x.what_offering_of AS text))
              AND (e.xid, e.id) > (s.last_xid, s.last_id))
    ELSE false END AS not_yet_known
"""


def _both(who: str, what: str) -> DriverStatement:
    """Whom and what in one statement, one round trip: a row of NULLs on either side means not found."""
    return DriverStatement.of(
        text(
            f"SELECT w.*, x.*, {_PENDING} FROM (SELECT) one "
            f"LEFT JOIN LATERAL ({who}) w ON true LEFT JOIN LATERAL ({what}) x ON true"
        )
    )


# (who, what) -> the statement reading both: who is "self", "someone" or "group"; what a session or not.
WHO_AND_WHAT = {
    (who_name, session): _both(who, _SESSION if session else _PROGRAMME)
    for who_name, who in (("self", _SELF), ("someone", _SOMEONE), ("group", _GROUP))
    for session in (True, False)
}
SELF_ONLY = DriverStatement.of(text(_SELF))
