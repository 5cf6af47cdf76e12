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

from services.enrollment.directory.service import LeaderGroupNotFound, NotInDirectory, PersonNotFound
from services.enrollment.enrollments import lookups, rules
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
from services.kernel.problems import BadRequestProblem, Conflict, Forbidden, ServiceUnavailable


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
    offering = OfferingView(**{name: row[f"what_{name}"] for name in lookups.OFFERING_COLUMNS})
    # Read on the driver's connection, so the column types did not turn the text into enums.
    offering.status = OfferingStatus(offering.status)
    offering.booking_unit = BookingUnit(offering.booking_unit)
    return offering


async def _self(reads: Reads, principal: Principal) -> Any:
    """The caller's own directory record with its audience facts (NotInDirectory if none is active)."""
    me = _first(await reads.fetch(lookups.SELF_ONLY, {"oid": principal.oid}))
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
    return lookups.WHO_AND_WHAT[who, data.session_id is not None], params


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


class OnRequest(Conflict):
    slug = "coaching-on-request"
    title = "This offering is requested, not enrolled in"


def _not_on_request(offering: OfferingView) -> None:
    if offering.on_request:
        raise OnRequest(
            "Ask for this offering with POST /coaching-requests; a coordinator books its sessions.",
            extra={"offering_id": str(offering.id)},
        )


def _target(data: EnrollmentCreate, row: Any, *, arranged: bool) -> tuple[OfferingView, list[uuid.UUID]]:
    """The offering and the sessions the request takes seats in."""
    if data.session_id is not None:
        if row is None or row["what_status"] == OfferingStatus.draft:
            raise SessionNotFound(f"No session {data.session_id} is open for enrollment.")
        offering = _offering(row)
        if not arranged:
            _not_on_request(offering)
        if offering.is_programme:
            raise ProgrammeTakenWhole(
                "This session belongs to a programme: enroll in the programme (offering_id).",
                extra={"offering_id": str(offering.id)},
            )
        return offering, [data.session_id]
    if row is None or row["what_status"] == OfferingStatus.draft:
        raise OfferingNotFound(f"No published offering {data.offering_id}.")
    offering = _offering(row)
    _not_on_request(offering)
    if not offering.is_programme:
        raise BadRequestProblem("Only a programme is enrolled in as a whole; name a session_id.")
    return offering, list(row["what_session_ids"])


async def prepare(
    reads: Reads, principal: Principal, data: EnrollmentCreate, *, arranged: bool = False
) -> Ask:
    """Everything about an enrollment request that is decided without the session's lock. `arranged`:
    a coordinator booking a coaching request's session (the only way into an offering on request)."""
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
    offering, session_ids = _target(data, row if row["what_id"] is not None else None, arranged=arranged)
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
