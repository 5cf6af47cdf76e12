"""Coaching on request: a top leader asks, a coordinator assigns one of the programme's coaches and
books one-to-one sessions, which the leader then holds like any other place (calendar invitation,
reminders, attendance, completion, evaluation).

Who sees what: a request (with its note and preferred times) is seen by the leader who made it, by
coordinators, and by the coach assigned to it; to anyone else it does not exist (404). Every change of
state or coach is written to the request's history with who and when, and the leader is told by mail;
the coach is told when a request is assigned to them or taken from them, scheduled or withdrawn.

A session for a request is scheduled in the catalogue like any other (one seat, in the coaching
offering) and then attached here: the leader gets its place in the same transaction that records it, so
a request is never `scheduled` without its place, nor a place taken without its request. Nobody enrolls
in an offering arranged on request directly (`coaching-on-request`).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.enrollment.coaching import repository
from services.enrollment.coaching.coaches import CoachNotFound, term_of
from services.enrollment.coaching.models import (
    OPEN_STATES,
    Coach,
    CoachingRequest,
    CoachingRequestChange,
    CoachingSession,
    RequestState,
)
from services.enrollment.coaching.schemas import (
    CoachingRequestChangePublic,
    CoachingRequestCreate,
    CoachingRequestPublic,
    CoachSummary,
)
from services.enrollment.directory import repository as directory
from services.enrollment.directory.service import person_for
from services.enrollment.enrollments import admission, asks, lookups, rules
from services.enrollment.enrollments import repository as enrollments
from services.enrollment.enrollments.cancellation import cancel
from services.enrollment.enrollments.problems import OfferingNotFound
from services.enrollment.enrollments.schemas import EnrollmentCreate
from services.enrollment.events import SOURCE, NotificationKind, NotificationRequested
from services.enrollment.offerings.models import OfferingStatus
from services.kernel import clock
from services.kernel.audience import AudienceFacts
from services.kernel.auth.tokens import Principal, Role
from services.kernel.database import Reads
from services.kernel.eventbus import publish
from services.kernel.problems import Conflict, Forbidden, NotFound


class CoachingRequestNotFound(NotFound):
    slug = "coaching-request-not-found"
    title = "Coaching request not found"


class NotOnRequest(Conflict):
    slug = "not-arranged-on-request"
    title = "This offering is not arranged on request"


class AlreadyRequested(Conflict):
    slug = "coaching-already-requested"
    title = "You already have an open request for this offering"


class InvalidRequestTransition(Conflict):
    slug = "coaching-request-state"
    title = "The request is not in a state that allows this"


class CoachAtCapacity(Conflict):
    slug = "coach-at-capacity"
    title = "The coach has no capacity left this term"


class CoachInactive(Conflict):
    slug = "coach-inactive"
    title = "The coach is no longer active"


class SessionNotForRequest(Conflict):
    slug = "session-not-for-request"
    title = "The session cannot be booked for this request"


# --- requests ---------------------------------------------------------------------------------------


async def _change(
    session: AsyncSession,
    request: CoachingRequest,
    principal: Principal,
    action: str,
    to_state: RequestState,
    **details: Any,
) -> None:
    change = CoachingRequestChange(
        request_id=request.id,
        action=action,
        from_state=request.state if action != "requested" else None,
        to_state=to_state,
        actor_oid=principal.oid,
        details={k: str(v) if isinstance(v, uuid.UUID) else v for k, v in details.items()},
    )
    request.state = to_state
    request.updated_at = clock.now()
    request.version += 1
    await repository.add(session, change)


async def _tell(
    session: AsyncSession,
    request: CoachingRequest,
    kind: NotificationKind,
    *,
    coach: Coach | None = None,
    **data: Any,
) -> None:
    """A mail about the request to its leader, or (with `coach`) to that coach."""
    offering = await enrollments.get_offering(session, request.offering_id)
    payload = NotificationRequested(
        recipient_person_id=request.person_id,
        recipient_coach_id=coach.id if coach else None,
        kind=kind,
        data={
            "offering_id": str(request.offering_id),
            "offering_title": offering.title if offering else "",
            "offering_title_en": offering.title_en if offering else None,
            "coaching_request_id": str(request.id),
            **data,
        },
    )
    await publish(session, payload, source=SOURCE, aggregate_id=request.person_id)


async def create_request(
    session: AsyncSession, reads: Reads, principal: Principal, data: CoachingRequestCreate
) -> CoachingRequest:
    """A leader asks for coaching in an offering arranged on request that admits them."""
    person = await person_for(session, principal)
    offering = await enrollments.get_offering(session, data.offering_id)
    if offering is None or offering.status != OfferingStatus.published:
        raise OfferingNotFound(f"No published offering {data.offering_id}.")
    if not offering.on_request:
        raise NotOnRequest("This offering is enrolled in through its sessions, not requested.")
    facts = await reads.fetch(lookups.SELF_ONLY, {"oid": principal.oid})
    refused = rules.refusal(offering, AudienceFacts.of(facts[0]), group=False)
    if refused is not None:
        raise rules.problem(refused)
    request = CoachingRequest(
        offering_id=offering.id,
        person_id=person.id,
        note=data.note,
        preferred_times=data.preferred_times,
        state=RequestState.requested,
    )
    # The unique index on open requests decides between two asking at once.
    if not await repository.add_request(session, request):
        raise AlreadyRequested("You have an open request for this offering; withdraw it to ask again.")
    await _change(session, request, principal, "requested", RequestState.requested)
    await _tell(session, request, NotificationKind.coaching_requested)
    return request


async def visible(
    session: AsyncSession, principal: Principal, request_id: uuid.UUID, *, lock: bool = False
) -> CoachingRequest:
    """The request if the caller may see it: its leader, a coordinator, or its assigned coach."""
    request = await repository.get(session, request_id, lock=lock)
    if request is not None and not principal.has_role(Role.coordinator):
        coach = await repository.coach_by_oid(session, principal.oid)
        person = await directory.person_by_oid(session, principal.oid)
        mine = person is not None and request.person_id == person.id
        coaching = coach is not None and request.coach_id == coach.id
        if not (mine or coaching):
            request = None
    if request is None:
        raise CoachingRequestNotFound(f"No coaching request {request_id}.")
    return request


async def listed(
    session: AsyncSession,
    principal: Principal,
    states: list[RequestState],
    coach_id: uuid.UUID | None,
    limit: int,
    offset: int,
) -> list[CoachingRequest]:
    """Coordinators: every request (filtered by state and coach); anyone else: their own requests and
    those assigned to them as coach."""
    if principal.has_role(Role.coordinator):
        return list(
            await repository.requests(session, coach_id=coach_id, states=states, limit=limit, offset=offset)
        )
    person = await directory.person_by_oid(session, principal.oid)
    coach = await repository.coach_by_oid(session, principal.oid)
    if person is None and coach is None:
        return []
    return list(
        await repository.requests(
            session,
            person_id=person.id if person else None,
            coach_id=coach.id if coach else None,
            states=states,
            limit=limit,
            offset=offset,
        )
    )


def _expect(request: CoachingRequest, *states: RequestState) -> None:
    if request.state not in states:
        wanted = ", ".join(s.value for s in states)
        raise InvalidRequestTransition(
            f"The request is {request.state.value}; this needs it {wanted}.",
            extra={"state": request.state.value},
        )


async def assign(
    session: AsyncSession, principal: Principal, request_id: uuid.UUID, coach_id: uuid.UUID
) -> CoachingRequest:
    request = await visible(session, principal, request_id, lock=True)
    _expect(request, RequestState.requested, RequestState.assigned)
    coach = await repository.get_coach(session, coach_id)
    if coach is None:
        raise CoachNotFound(f"No coach {coach_id}.")
    if not coach.active:
        raise CoachInactive(f"{coach.name} is no longer active.")
    if request.coach_id == coach.id:
        return request
    term = term_of(clock.now())
    # Counted under the coach's row lock: two coordinators assigning at once cannot both take the last place.
    await session.refresh(coach, with_for_update=True)
    taken = (await repository.load(session, [coach.id], [term])).get((coach.id, term), 0)
    if taken >= coach.capacity_per_term:
        raise CoachAtCapacity(
            f"{coach.name} has {taken} of {coach.capacity_per_term} requests in {term}.",
            extra={"term": term, "assigned": taken, "capacity": coach.capacity_per_term},
        )
    previous = await repository.get_coach(session, request.coach_id) if request.coach_id else None
    request.coach_id, request.term = coach.id, term
    await _change(session, request, principal, "assigned", RequestState.assigned, coach_id=coach.id)
    await _tell(session, request, NotificationKind.coaching_assigned, coach_name=coach.name)
    await _tell(session, request, NotificationKind.coaching_assigned_to_coach, coach=coach)
    if previous is not None:
        await _tell(session, request, NotificationKind.coaching_unassigned, coach=previous)
    return request


async def add_session(
    session: AsyncSession, reads: Reads, principal: Principal, request_id: uuid.UUID, session_id: uuid.UUID
) -> CoachingRequest:
    """Book a one-to-one session for the request: the leader's place, confirmed, in this transaction."""
    request = await visible(session, principal, request_id, lock=True)
    _expect(request, RequestState.assigned, RequestState.scheduled)
    course = await enrollments.get_session(session, session_id)
    if course is None or course.offering_id != request.offering_id:
        raise SessionNotForRequest("Name a session of the request's coaching offering.")
    if course.capacity != 1:
        raise SessionNotForRequest("A coaching session has one seat.", extra={"capacity": course.capacity})
    if await repository.coaching_session(session, session_id) is not None:
        raise SessionNotForRequest("The session is booked for a request already.")
    person = await directory.get_person(session, request.person_id)
    assert person is not None
    ask = await asks.prepare(
        reads, principal, EnrollmentCreate(session_id=session_id, person_id=person.id), arranged=True
    )
    enrollment = await admission.decide_now(session, ask)
    if enrollment.status != "confirmed":
        raise SessionNotForRequest("The session's seat is taken.")
    await repository.add(
        session, CoachingSession(request_id=request.id, session_id=session_id, enrollment_id=enrollment.id)
    )
    await _change(session, request, principal, "scheduled", RequestState.scheduled, session_id=session_id)
    coach = await repository.get_coach(session, request.coach_id) if request.coach_id else None
    if coach is not None:
        await _tell(
            session,
            request,
            NotificationKind.coaching_scheduled,
            coach=coach,
            starts_at=course.starts_at.isoformat(),
        )
    return request


async def complete(session: AsyncSession, principal: Principal, request_id: uuid.UUID) -> CoachingRequest:
    request = await visible(session, principal, request_id, lock=True)
    coach = await repository.coach_by_oid(session, principal.oid)
    if not principal.has_role(Role.coordinator) and (coach is None or coach.id != request.coach_id):
        raise Forbidden("A coordinator or the request's coach marks it completed.")
    _expect(request, RequestState.scheduled)
    await _change(session, request, principal, "completed", RequestState.completed)
    await _tell(session, request, NotificationKind.coaching_completed)
    return request


async def decline(
    session: AsyncSession, principal: Principal, request_id: uuid.UUID, reason: str
) -> CoachingRequest:
    request = await visible(session, principal, request_id, lock=True)
    _expect(request, RequestState.requested, RequestState.assigned)
    request.reason = reason
    await _change(session, request, principal, "declined", RequestState.declined, reason=reason)
    await _tell(session, request, NotificationKind.coaching_declined, reason=reason)
    if request.coach_id:
        coach = await repository.get_coach(session, request.coach_id)
        if coach is not None:
            await _tell(session, request, NotificationKind.coaching_unassigned, coach=coach)
    return request


async def withdraw(session: AsyncSession, principal: Principal, request_id: uuid.UUID) -> CoachingRequest:
    """The leader takes the request back; the places of its sessions still to come are cancelled."""
    request = await visible(session, principal, request_id, lock=True)
    person = await person_for(session, principal)
    if request.person_id != person.id:
        raise CoachingRequestNotFound(f"No coaching request {request_id}.")
    _expect(request, *OPEN_STATES)
    now = clock.now()
    booked = (await repository.sessions_of(session, [request.id])).get(request.id, [])
    # The leader's withdrawal is the reason; the usual cancellation deadline does not hold them to a
    # one-to-one conversation, so the places are cancelled as a coordinator would.
    acting = Principal(oid=principal.oid, roles=frozenset({Role.coordinator}))
    for row in booked:
        course = await enrollments.get_session(session, row.session_id)
        enrollment = await enrollments.get(session, row.enrollment_id)
        if (
            course is None
            or enrollment is None
            or course.starts_at <= now
            or enrollment.status not in ("confirmed", "waitlisted")
        ):
            continue
        await cancel(session, acting, row.enrollment_id, person_id=None, reason="Coaching request withdrawn")
    await _change(session, request, principal, "withdrawn", RequestState.withdrawn)
    await _tell(session, request, NotificationKind.coaching_withdrawn)
    if request.coach_id:
        coach = await repository.get_coach(session, request.coach_id)
        if coach is not None:
            await _tell(session, request, NotificationKind.coaching_withdrawn, coach=coach)
    return request


async def present(session: AsyncSession, requests: list[CoachingRequest]) -> list[CoachingRequestPublic]:
    ids = [r.id for r in requests]
    history = await repository.history(session, ids)
    booked = await repository.sessions_of(session, ids)
    coaches = {c.id: c for c in await repository.coaches(session)}
    answers = []
    for r in requests:
        offering = await enrollments.get_offering(session, r.offering_id)
        person = await directory.get_person(session, r.person_id)
        coach = coaches.get(r.coach_id) if r.coach_id else None
        answers.append(
            CoachingRequestPublic(
                id=r.id,
                offering_id=r.offering_id,
                offering_title=offering.title if offering else "",
                person_id=r.person_id,
                person_name=person.name if person else "",
                note=r.note,
                preferred_times=r.preferred_times,
                state=r.state,
                coach=CoachSummary.model_validate(coach) if coach else None,
                term=r.term,
                reason=r.reason,
                session_ids=[b.session_id for b in booked.get(r.id, [])],
                created_at=r.created_at,
                updated_at=r.updated_at,
                history=[CoachingRequestChangePublic.model_validate(c) for c in history.get(r.id, [])],
            )
        )
    return answers
