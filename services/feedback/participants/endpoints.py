"""HTTP endpoints for participants (coordinators)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from services.feedback.participants import repository
from services.feedback.participants.schemas import ParticipantPage, ParticipantPublic
from services.kernel.auth.tokens import CoordinatorOnly
from services.kernel.database import SessionDep, TransactionalRoute
from services.kernel.paging import Paging
from services.kernel.problems import COMMON_RESPONSES, Forbidden

router = APIRouter(
    route_class=TransactionalRoute,
    tags=["participants"],
    responses={**COMMON_RESPONSES, 403: Forbidden.openapi()},
)


@router.get("/sessions/{session_id}/participants", summary="List a session's participants")
async def list_participants(
    session: SessionDep,
    _: CoordinatorOnly,
    session_id: uuid.UUID,
    paging: Paging,
) -> ParticipantPage:
    """Who the feedback service will invite to evaluate the session (coordinators)."""
    rows = await repository.list_for_session(session, session_id, limit=paging.fetch, offset=paging.offset)
    return paging.page(ParticipantPage, [ParticipantPublic.model_validate(row) for row in rows])
