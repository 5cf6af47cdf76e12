"""The read behind an enrollment request: whom it enrolls and in what, in one statement, one round trip.

Run on the driver's connection by `asks.prepare` (no transaction, no ORM: this runs for every request
of a rush). A row of NULLs on either side means not found; `not_yet_known` says whether the catalogue's
event scheduling the session or publishing the offering is committed but not yet handled here.
"""

from __future__ import annotations

from sqlalchemy import text

from services.enrollment.enrollments import repository
from services.enrollment.offerings.models import OfferingView
from services.kernel.database import DriverStatement

OFFERING_COLUMNS = tuple(c.name for c in OfferingView.__table__.columns)  # type: ignore[attr-defined]
# The offering's columns as `what_<name>`: they share one row with the person's or group's.
_OFFERING = ", ".join(f"o.{name} AS what_{name}" for name in OFFERING_COLUMNS)
_PERSON = f"SELECT who.id, who.active, who.org_unit_id, {repository.PERSON_FACTS} FROM enrollment.people who"
_SELF = f"{_PERSON} WHERE who.entra_oid = :oid"
_SOMEONE = f"{_PERSON} WHERE who.id = :who_id"
_GROUP = f"""
    SELECT who.id, who.active, leader.entra_oid AS leader_oid, leader.active AS leader_active,
           {repository.GROUP_FACTS},
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
