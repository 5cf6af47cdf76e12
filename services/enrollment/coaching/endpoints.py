"""HTTP endpoints of coaching on request: leaders ask, coordinators keep the coaches and run the
requests, coaches see what is assigned to them."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status
from sqlalchemy.ext.asyncio import AsyncSession

from services.enrollment.coaching import coaches, service
from services.enrollment.coaching.models import CoachingRequest, RequestState
from services.enrollment.coaching.schemas import (
    CoachAssignment,
    CoachCreate,
    CoachingRequestCreate,
    CoachingRequestPage,
    CoachingRequestPublic,
    CoachingSessionAdd,
    CoachPage,
    CoachPublic,
    CoachUpdate,
    Decline,
)
from services.enrollment.directory.service import NotInDirectory, PersonNotFound
from services.enrollment.enrollments import asks, pausing, problems, rules
from services.kernel.auth.tokens import CoordinatorOnly, CurrentPrincipal
from services.kernel.database import ReadsDep, SessionDep, TransactionalRoute
from services.kernel.paging import Paging
from services.kernel.problems import COMMON_RESPONSES, Forbidden, responses_for

router = APIRouter(route_class=TransactionalRoute, tags=["coaching"], responses=COMMON_RESPONSES)


async def _shown(session: AsyncSession, request: CoachingRequest) -> CoachingRequestPublic:
    [public] = await service.present(session, [request])
    return public


@router.get("/coaches", summary="List the programme's coaches with their load")
async def list_coaches(session: SessionDep, principal: CoordinatorOnly, paging: Paging) -> CoachPage:
    """Every coach, active or not, by name: capacity per term, requests assigned this term and next,
    and requests still open."""
    everyone = await coaches.coaches(session)
    return paging.slice(CoachPage, await coaches.present_coaches(session, everyone))


@router.post(
    "/coaches",
    summary="Add a coach",
    status_code=status.HTTP_201_CREATED,
    responses=responses_for(coaches.CoachSignInTaken),
)
async def add_coach(session: SessionDep, principal: CoordinatorOnly, body: CoachCreate) -> CoachPublic:
    """An internal consultant or an external coach the programme uses, with how many requests a term
    (half-year) they take. `entra_oid` lets them sign in and see the requests assigned to them."""
    coach = await coaches.add_coach(session, body)
    [public] = await coaches.present_coaches(session, [coach])
    return public


@router.patch(
    "/coaches/{coach_id}",
    summary="Change a coach",
    responses=responses_for(coaches.CoachNotFound, coaches.CoachSignInTaken),
)
async def update_coach(
    session: SessionDep, principal: CoordinatorOnly, coach_id: uuid.UUID, body: CoachUpdate
) -> CoachPublic:
    """Capacity, contact details, sign-in; `active: false` takes the coach off new assignments (those
    assigned stay)."""
    coach = await coaches.update_coach(session, coach_id, body)
    [public] = await coaches.present_coaches(session, [coach])
    return public


@router.post(
    "/coaching-requests",
    summary="Ask for coaching",
    status_code=status.HTTP_201_CREATED,
    responses=responses_for(
        NotInDirectory,
        problems.OfferingNotFound,
        service.NotOnRequest,
        rules.AudienceRefused,
        service.AlreadyRequested,
    ),
)
async def create_coaching_request(
    session: SessionDep, reads: ReadsDep, principal: CurrentPrincipal, body: CoachingRequestCreate
) -> CoachingRequestPublic:
    """A top leader asks for an offering arranged on request (coaching), with an optional note on what
    about and preferred times: seen only by you, coordinators and the coach assigned. One open request
    per offering."""
    return await _shown(session, await service.create_request(session, reads, principal, body))


@router.get("/coaching-requests", summary="List coaching requests")
async def list_coaching_requests(
    session: SessionDep,
    principal: CurrentPrincipal,
    paging: Paging,
    state: Annotated[list[RequestState] | None, Query(description="Only these states.")] = None,
    coach_id: Annotated[uuid.UUID | None, Query(description="Coordinators: only this coach's.")] = None,
) -> CoachingRequestPage:
    """Coordinators see every request; a leader their own; a coach those assigned to them. Newest first."""
    rows = await service.listed(session, principal, state or [], coach_id, paging.fetch, paging.offset)
    return paging.page(CoachingRequestPage, await service.present(session, rows))


@router.get(
    "/coaching-requests/{request_id}",
    summary="Read a coaching request",
    responses=responses_for(service.CoachingRequestNotFound),
)
async def read_coaching_request(
    session: SessionDep, principal: CurrentPrincipal, request_id: uuid.UUID
) -> CoachingRequestPublic:
    """With its history (every change of state or coach, by whom and when). 404 for anyone but the
    leader, coordinators and the assigned coach."""
    return await _shown(session, await service.visible(session, principal, request_id))


@router.post(
    "/coaching-requests/{request_id}/assign",
    summary="Assign a coach",
    responses=responses_for(
        service.CoachingRequestNotFound,
        coaches.CoachNotFound,
        service.CoachInactive,
        service.CoachAtCapacity,
        service.InvalidRequestTransition,
    ),
)
async def assign_coach(
    session: SessionDep, principal: CoordinatorOnly, request_id: uuid.UUID, body: CoachAssignment
) -> CoachingRequestPublic:
    """A requested (or assigned: another coach) request gets a coach with capacity left this term; the
    leader and the coach are told."""
    return await _shown(session, await service.assign(session, principal, request_id, body.coach_id))


@router.post(
    "/coaching-requests/{request_id}/sessions",
    summary="Book a one-to-one session for a request",
    responses=responses_for(
        service.CoachingRequestNotFound,
        service.InvalidRequestTransition,
        service.SessionNotForRequest,
        asks.SessionNotYetKnown,
        problems.SessionNotFound,
        PersonNotFound,
        problems.ProgrammeTakenWhole,
        pausing.EnrollmentPaused,
        problems.SessionStarted,
        problems.EnrollmentWindowClosed,
        problems.NotOpen,
        problems.AlreadyEnrolled,
    ),
)
async def book_coaching_session(
    session: SessionDep,
    reads: ReadsDep,
    principal: CoordinatorOnly,
    request_id: uuid.UUID,
    body: CoachingSessionAdd,
) -> CoachingRequestPublic:
    """Schedule the session in the catalogue first (`POST /api/v1/catalog/sessions`: the coaching
    offering, one seat), then name it here: the leader gets its place, confirmed, with the calendar
    invitation and reminders any place has; the request is `scheduled`. Several sessions may be booked
    for one request."""
    return await _shown(
        session, await service.add_session(session, reads, principal, request_id, body.session_id)
    )


@router.post(
    "/coaching-requests/{request_id}/complete",
    summary="Mark a coaching request completed",
    responses=responses_for(service.CoachingRequestNotFound, Forbidden, service.InvalidRequestTransition),
)
async def complete_coaching_request(
    session: SessionDep, principal: CurrentPrincipal, request_id: uuid.UUID
) -> CoachingRequestPublic:
    """By a coordinator or the request's coach, once sessions were scheduled."""
    return await _shown(session, await service.complete(session, principal, request_id))


@router.post(
    "/coaching-requests/{request_id}/decline",
    summary="Decline a coaching request",
    responses=responses_for(service.CoachingRequestNotFound, service.InvalidRequestTransition),
)
async def decline_coaching_request(
    session: SessionDep, principal: CoordinatorOnly, request_id: uuid.UUID, body: Decline
) -> CoachingRequestPublic:
    """Before any session is booked, with a reason the leader is told."""
    return await _shown(session, await service.decline(session, principal, request_id, body.reason))


@router.post(
    "/coaching-requests/{request_id}/withdraw",
    summary="Withdraw my coaching request",
    responses=responses_for(
        NotInDirectory,
        service.CoachingRequestNotFound,
        service.InvalidRequestTransition,
        problems.NotCancellable,
        problems.SessionStarted,
    ),
)
async def withdraw_coaching_request(
    session: SessionDep, principal: CurrentPrincipal, request_id: uuid.UUID
) -> CoachingRequestPublic:
    """The leader takes the request back; places in its sessions still to come are cancelled (whatever
    the cancellation deadline) and the coach is told."""
    return await _shown(session, await service.withdraw(session, principal, request_id))
