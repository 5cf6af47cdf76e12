"""What an enrollment request asks for, worked out before any lock is taken.

`prepare` reads, in one statement on the driver's connection (no transaction, no ORM: this runs for
every request of a rush), whom the request enrolls (the caller, someone a coordinator names, or
a whole top-leader group), in which session or programme, and whether the offering's audience rules
admit them. What is left to decide needs the session's lock and is decided by `admission`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import text

from services.enrollment.directory.service import LeaderGroupNotFound, NotInDirectory, PersonNotFound
from services.enrollment.enrollments import repository, rules
from services.enrollment.enrollments.problems import (
    NoMembers,
    NotOpen,
    OfferingNotFound,
    ProgrammeTakenWhole,
    SessionNotFound,
)
from services.enrollment.enrollments.schemas import EnrollmentCreate
from services.enrollment.offerings.models import BookingUnit, OfferingStatus, OfferingView
from services.kernel.audience import AudienceFacts
from services.kernel.auth.tokens import Principal, Role
from services.kernel.database import DriverStatement, Reads
from services.kernel.problems import BadRequestProblem, Forbidden, ServiceUnavailable


class Participant(NamedTuple):
    """A person an enrollment gives a place: what its events say about them."""

    id: uuid.UUID
    org_unit_id: uuid.UUID | None


@dataclass
class Ask:
    """An enrollment request with everything decided that needs no lock: whom it enrolls, in what, and
    that the caller may. What is left (window, status, duplicates, room, position) is decided under the
    session's lock by `admission`, together with the other requests for the same sessions."""

    principal_oid: str
    offering: OfferingView
    session_id: uuid.UUID | None  # None: a programme taken whole
    session_ids: list[uuid.UUID]  # the sessions it takes seats in, locked when it is decided
    people: list[Participant]
    person_id: uuid.UUID | None  # a person's own enrollment
    group_id: uuid.UUID | None  # a group's enrollment
    booking_unit: BookingUnit
    seats: int
    audience_checked: bool

    @property
    def queue(self) -> tuple[uuid.UUID, uuid.UUID | None]:
        """The waiting list it joins, which is also what it is decided with: a session's, or a programme's."""
        return self.offering.id, self.session_id


_OFFERING_COLUMNS = tuple(c.name for c in OfferingView.__table__.columns)  # type: ignore[attr-defined]
# The offering's columns as `what_<name>`: they share one row with the person's or group's.
_OFFERING = ", ".join(f"o.{name} AS what_{name}" for name in _OFFERING_COLUMNS)
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
_READS = {
    (who_name, session): _both(who, _SESSION if session else _PROGRAMME)
    for who_name, who in (("self", _SELF), ("someone", _SOMEONE), ("group", _GROUP))
    for session in (True, False)
}
_SELF_ONLY = DriverStatement.of(text(_SELF))


# A session the catalogue has scheduled (its event is committed) that this service has not read yet.
class SessionNotYetKnown(ServiceUnavailable):
    """The catalogue acknowledged the session (or published its offering); its event has not reached this
    service yet (usually a fraction of a second). A 503 with Retry-After rather than a 404 that would be
    wrong a moment later."""

    slug = "session-not-yet-known"
    title = "The session is not known here yet; try again shortly"


def _first(rows: list[Any]) -> Any:
    return rows[0] if rows else None


def _offering(row: Any) -> OfferingView:
    offering = OfferingView(**{name: row[f"what_{name}"] for name in _OFFERING_COLUMNS})
    # Read on the driver's connection, so the column types did not turn the text into enums.
    offering.status = OfferingStatus(offering.status)
    offering.booking_unit = BookingUnit(offering.booking_unit)
    return offering


async def _self(reads: Reads, principal: Principal) -> Any:
    """The caller's own directory record with its audience facts (NotInDirectory if none is active)."""
    me = _first(await reads.fetch(_SELF_ONLY, {"oid": principal.oid}))
    if me is None or not me["active"]:
        raise NotInDirectory("No active person in the HR directory matches your sign-in (oid).")
    return me


def _read(principal: Principal, data: EnrollmentCreate) -> tuple[DriverStatement, dict[str, Any]]:
    """The one read a request needs: whom (a group, the person a coordinator names, or the caller) and
    what (the session with its offering, or the programme)."""
    params: dict[str, Any] = {"what_id": data.session_id or data.offering_id}
    if data.leader_group_id is not None:
        who, params["who_id"] = "group", data.leader_group_id
    elif data.person_id is not None and principal.has_role(Role.coordinator):
        who, params["who_id"] = "someone", data.person_id
    else:
        who, params["oid"] = "self", principal.oid
    return _READS[who, data.session_id is not None], params


def _person(principal: Principal, data: EnrollmentCreate, row: Any) -> Any:
    """Whom the request enrolls: the caller, or (coordinators only) the person named."""
    if data.person_id is not None and principal.has_role(Role.coordinator):
        if row is None or not row["active"]:
            raise PersonNotFound(f"No active person {data.person_id} in the directory.")
        return row
    if row is None or not row["active"]:
        raise NotInDirectory("No active person in the HR directory matches your sign-in (oid).")
    if data.person_id is not None and data.person_id != row["id"]:
        raise Forbidden("Only coordinators may enroll someone else.")
    return row


async def _group(reads: Reads, principal: Principal, group_id: uuid.UUID, group: Any) -> Any:
    """The group a request enrolls: its own top leader's, or any as a coordinator (404 otherwise)."""
    theirs = group is not None and group["leader_oid"] == principal.oid and group["leader_active"]
    if group is not None and group["active"] and not theirs and not principal.has_role(Role.coordinator):
        await _self(reads, principal)  # someone not in the directory is told so
        group = None
    if group is None or not group["active"]:
        raise LeaderGroupNotFound(f"No active leader group {group_id} that you lead.")
    if not group["people"]:
        raise NoMembers("The leader group has no active members to enroll.")
    return group


def _target(data: EnrollmentCreate, row: Any) -> tuple[OfferingView, list[uuid.UUID]]:
    """The offering and the sessions the request takes seats in."""
    if data.session_id is not None:
        if row is None or row["what_status"] == OfferingStatus.draft:
            raise SessionNotFound(f"No session {data.session_id} is open for enrollment.")
        offering = _offering(row)
        if offering.is_programme:
            raise ProgrammeTakenWhole(
                "This session belongs to a programme: enroll in the programme (offering_id).",
                extra={"offering_id": str(offering.id)},
            )
        return offering, [data.session_id]
    if row is None or row["what_status"] == OfferingStatus.draft:
        raise OfferingNotFound(f"No published offering {data.offering_id}.")
    offering = _offering(row)
    if not offering.is_programme:
        raise BadRequestProblem("Only a programme is enrolled in as a whole; name a session_id.")
    return offering, list(row["what_session_ids"])


async def prepare(reads: Reads, principal: Principal, data: EnrollmentCreate) -> Ask:
    """Everything about an enrollment request that is decided without the session's lock."""
    acting_for_others = principal.has_role(Role.coordinator) and (
        data.leader_group_id is not None or data.person_id is not None
    )
    [row] = await reads.fetch(*_read(principal, data))
    found = row if row["id"] is not None else None
    group = data.leader_group_id is not None
    if data.leader_group_id is not None:
        who = await _group(reads, principal, data.leader_group_id, found)
        people = [Participant(*pair) for pair in zip(who["people"], who["people_units"], strict=True)]
    else:
        who = _person(principal, data, found)
        people = [Participant(who["id"], who["org_unit_id"])]
    if row["not_yet_known"]:
        named = f"Session {data.session_id}" if data.session_id else f"Offering {data.offering_id}"
        raise SessionNotYetKnown(
            f"{named} was scheduled or published a moment ago; try again in a second.",
            extra={"session_id": str(data.session_id)}
            if data.session_id
            else {"offering_id": str(data.offering_id)},
        )
    offering, session_ids = _target(data, row if row["what_id"] is not None else None)
    if offering.status != OfferingStatus.published:
        raise NotOpen(f"The offering is {offering.status}.")
    if not acting_for_others:
        refused = rules.refusal(offering, AudienceFacts.of(who), group=group)
        if refused is not None:
            raise rules.problem(refused)
    booking_unit = offering.booking_unit if group else BookingUnit.person
    return Ask(
        principal_oid=principal.oid,
        offering=offering,
        session_id=data.session_id,
        session_ids=session_ids,
        people=people,
        person_id=None if group else who["id"],
        group_id=who["id"] if group else None,
        booking_unit=booking_unit,
        seats=1 if booking_unit == BookingUnit.group else len(people),
        audience_checked=not acting_for_others,
    )
