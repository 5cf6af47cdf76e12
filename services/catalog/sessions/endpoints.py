"""HTTP endpoints for sessions: schedule one or a series, edit, reschedule, cancel, read."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request, status
from fastapi.responses import Response

from services.catalog.offerings.service import OfferingArchivedProblem, OfferingNotFound
from services.catalog.sessions import programmes, service
from services.catalog.sessions.models import CourseSession
from services.catalog.sessions.schemas import (
    SeriesCreate,
    SessionCancel,
    SessionCreate,
    SessionPublic,
    SessionReschedule,
    SessionsReschedule,
    SessionUpdate,
    session_public,
)
from services.kernel.auth.tokens import CoordinatorOnly, CurrentPrincipal
from services.kernel.database import SessionDep, TransactionalRoute
from services.kernel.etags import PreconditionFailed, PreconditionRequired, conditional_json, require_if_match
from services.kernel.languages import Language, ReaderLanguage
from services.kernel.problems import COMMON_RESPONSES, Forbidden, Problem, responses_for

router = APIRouter(route_class=TransactionalRoute, tags=["sessions"], responses=COMMON_RESPONSES)


def write_responses(*more: type[Problem]) -> dict[int | str, dict[str, Any]]:
    """What a change to a session can answer: the common refusals and `more`, merged per status."""
    return responses_for(
        Forbidden,
        service.SessionNotFound,
        service.SessionNotScheduled,
        OfferingNotFound,
        OfferingArchivedProblem,
        *more,
    )


def session_etag(course_session: CourseSession) -> str:
    """Changes with the session's own version and with its seat count."""
    return f'"v{course_session.version}.{course_session.seats_version}"'


def session_response(
    request: Request, course_session: CourseSession, language: Language, status_code: int = 200
) -> Response:
    body = session_public(course_session, language).model_dump(mode="json")
    # The English representation is a variant of the same version: If-Match takes either tag.
    variant = ".en" if language is Language.en else ""
    response = conditional_json(request, body, etag=session_etag(course_session)[:-1] + variant + '"')
    if response.status_code == 200:
        response.status_code = status_code
    return response


@router.post(
    "/sessions",
    summary="Schedule a session",
    status_code=status.HTTP_201_CREATED,
    response_model=SessionPublic,
    responses={
        403: Forbidden.openapi(),
        404: OfferingNotFound.openapi(),
        409: OfferingArchivedProblem.openapi(),
    },
)
async def schedule_session(
    request: Request,
    session: SessionDep,
    principal: CoordinatorOnly,
    language: ReaderLanguage,
    body: SessionCreate,
) -> Response:
    """Schedule a dated session of an offering (coordinators); enrollment learns of it by event."""
    created = await service.schedule(session, principal, body)
    return session_response(request, created, language, status.HTTP_201_CREATED)


@router.post(
    "/offerings/{offering_id}/sessions/series",
    summary="Schedule a programme's series of sessions",
    status_code=status.HTTP_201_CREATED,
    responses={
        403: Forbidden.openapi(),
        404: OfferingNotFound.openapi(),
        409: OfferingArchivedProblem.openapi(),
    },
)
async def schedule_series(
    session: SessionDep,
    principal: CoordinatorOnly,
    language: ReaderLanguage,
    offering_id: uuid.UUID,
    body: SeriesCreate,
) -> list[SessionPublic]:
    """Generate `count` sessions `interval_days` apart from a first date; adjust single dates afterwards."""
    created = await service.schedule_series(session, principal, offering_id, body)
    return [session_public(row, language) for row in created]


@router.get(
    "/sessions/{session_id}",
    summary="Get a session",
    response_model=SessionPublic,
    responses={
        **responses_for(service.SessionNotFound, OfferingNotFound),
        304: {"description": "Not modified"},
    },
)
async def get_session(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    language: ReaderLanguage,
    session_id: uuid.UUID,
) -> Response:
    """One session with its free seats. Answers If-None-Match with 304."""
    return session_response(request, await service.get_visible(session, principal, session_id), language)


@router.patch(
    "/sessions/{session_id}",
    summary="Edit a session",
    response_model=SessionPublic,
    responses=write_responses(
        PreconditionFailed, PreconditionRequired, service.InvalidSessionTimes, service.CapacityBelowConfirmed
    ),
)
async def update_session(
    request: Request,
    session: SessionDep,
    principal: CoordinatorOnly,
    language: ReaderLanguage,
    session_id: uuid.UUID,
    body: SessionUpdate,
) -> Response:
    """Change place, link, capacity, enrollment window or cancellation deadline. Needs If-Match.

    A capacity below the seats already confirmed is refused (`409 capacity-below-confirmed`, naming the
    confirmed count) unless `allow_overbooking` is true; then the session reports `overbooked_by`."""
    offering, course_session = await service.lock_for_change(session, session_id)
    require_if_match(request, session_etag(course_session))
    updated = await service.update(session, principal, offering, course_session, body)
    return session_response(request, updated, language)


@router.post(
    "/sessions/{session_id}/reschedule",
    summary="Reschedule a session",
    response_model=SessionPublic,
    responses=write_responses(service.InvalidSessionTimes, service.StartsInPast),
)
async def reschedule_session(
    request: Request,
    session: SessionDep,
    principal: CoordinatorOnly,
    language: ReaderLanguage,
    session_id: uuid.UUID,
    body: SessionReschedule,
) -> Response:
    """Move a session to new times, with a reason; enrollments are kept and participants are told. A
    start that has passed is refused (`409 session-start-in-past`)."""
    return session_response(request, await service.reschedule(session, principal, session_id, body), language)


@router.post(
    "/sessions/{session_id}/cancel",
    summary="Cancel a session",
    response_model=SessionPublic,
    responses=write_responses(),
)
async def cancel_session(
    request: Request,
    session: SessionDep,
    principal: CoordinatorOnly,
    language: ReaderLanguage,
    session_id: uuid.UUID,
    body: SessionCancel,
) -> Response:
    """Cancel a session with a reason; its enrollments are cancelled and the people affected are told."""
    return session_response(request, await service.cancel(session, principal, session_id, body), language)


@router.post(
    "/sessions/{session_id}/complete",
    summary="Mark a session completed",
    response_model=SessionPublic,
    responses=write_responses(service.SessionNotOver),
)
async def complete_session(
    request: Request,
    session: SessionDep,
    principal: CoordinatorOnly,
    language: ReaderLanguage,
    session_id: uuid.UUID,
) -> Response:
    """Mark a session that has ended as held (status `completed`)."""
    return session_response(request, await service.complete(session, principal, session_id), language)


@router.post(
    "/offerings/{offering_id}/sessions/reschedule",
    summary="Move several sessions of an offering in one step",
    responses=write_responses(service.InvalidSessionTimes, service.StartsInPast),
)
async def reschedule_sessions(
    session: SessionDep,
    principal: CoordinatorOnly,
    language: ReaderLanguage,
    offering_id: uuid.UUID,
    body: SessionsReschedule,
) -> list[SessionPublic]:
    """Move a programme (or any sessions of one offering) to new times in one step, with one reason:
    enrollments are kept, and each participant gets one mail listing every session moved, with an
    updated calendar entry for each. All or nothing: one session that cannot move refuses the step."""
    moved = await programmes.reschedule_sessions(session, principal, offering_id, body)
    return [session_public(row, language) for row in moved]


@router.post(
    "/offerings/{offering_id}/sessions/cancel",
    summary="Cancel every upcoming session of an offering",
    responses=write_responses(),
)
async def cancel_sessions(
    session: SessionDep,
    principal: CoordinatorOnly,
    language: ReaderLanguage,
    offering_id: uuid.UUID,
    body: SessionCancel,
) -> list[SessionPublic]:
    """Cancel a programme as a whole (every scheduled session that has not started), with a reason:
    the enrollments in them are cancelled, and each person gets one mail listing every session, with a
    calendar cancellation for each. With none left to cancel: `409 session-not-scheduled`."""
    cancelled = await programmes.cancel_sessions(session, principal, offering_id, body)
    return [session_public(row, language) for row in cancelled]
