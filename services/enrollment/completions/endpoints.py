"""HTTP endpoints for attendance, completions and the HR system's completions feed."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from services.enrollment.completions import repository, service
from services.enrollment.completions.schemas import (
    AttendancePublic,
    AttendanceUpdate,
    CompletionPage,
    CompletionPublic,
    FeedPage,
)
from services.enrollment.directory.service import NotInDirectory, person_for
from services.enrollment.enrollments.problems import SessionNotFound
from services.kernel import cursors
from services.kernel.auth.tokens import CoordinatorOnly, CurrentPrincipal, HrIntegrationOnly
from services.kernel.database import SessionDep, TransactionalRoute
from services.kernel.paging import MAX_LIMIT, Paging
from services.kernel.problems import COMMON_RESPONSES

router = APIRouter(
    route_class=TransactionalRoute, tags=["attendance and completions"], responses=COMMON_RESPONSES
)


@router.put(
    "/sessions/{session_id}/attendance",
    summary="Mark attendance in bulk (coordinators)",
    responses={
        400: service.NotOnRoster.openapi(),
        404: SessionNotFound.openapi(),
        409: service.SessionNotStarted.openapi(),
    },
)
async def mark_attendance(
    session: SessionDep, principal: CoordinatorOnly, session_id: uuid.UUID, body: AttendanceUpdate
) -> list[AttendancePublic]:
    """`attended`, `absent` or `excused` for confirmed participants, once the session has started; all
    or nothing. Marks may be corrected. Completions follow the offering's rule at once, and are
    withdrawn again if a correction means the rule no longer holds."""
    parts = await service.record_attendance(session, principal, session_id, body)
    return [AttendancePublic.model_validate({**p.model_dump(), "participation_id": p.id}) for p in parts]


@router.get(
    "/completions/feed",
    summary="Read the completions feed (HR integration)",
    responses={400: cursors.InvalidCursor.openapi()},
)
async def completions_feed(
    session: SessionDep,
    _: HrIntegrationOnly,
    cursor: Annotated[
        str | None, Query(max_length=100, description="`next_cursor` of the last page.")
    ] = None,
    limit: Annotated[
        int, Query(ge=1, le=MAX_LIMIT, description=f"Entries per page (1 to {MAX_LIMIT}).")
    ] = MAX_LIMIT,
) -> FeedPage:
    """Completions recorded and withdrawn, oldest first. Poll with the last `next_cursor`: no entry is
    missed or repeated, even while new ones are being written."""
    return await service.feed(session, cursor, limit)


@router.get("/completions/mine", summary="List my completions", responses={403: NotInDirectory.openapi()})
async def my_completions(session: SessionDep, principal: CurrentPrincipal, paging: Paging) -> CompletionPage:
    """Offerings the signed-in person completed, newest first; withdrawn completions stay as history."""
    me = await person_for(session, principal)
    found = await repository.completions_of(session, me.id, limit=paging.fetch, offset=paging.offset)
    return paging.page(CompletionPage, [CompletionPublic.model_validate(c) for c in found])
