"""HTTP endpoints for participants (coordinators)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from services.feedback.participants import repository
from services.feedback.participants.schemas import ParticipantPublic
from services.kernel.auth.tokens import CoordinatorOnly
from services.kernel.database import SessionDep
from services.kernel.problems import COMMON_RESPONSES, Forbidden

router = APIRouter(tags=["participants"], responses={**COMMON_RESPONSES, 403: Forbidden.openapi()})


@router.get("/sessions/{session_id}/participants", summary="List a session's participants")
async def list_participants(
    session: SessionDep,
    _: CoordinatorOnly,
    session_id: uuid.UUID,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[ParticipantPublic]:
    """Who the feedback service will invite to evaluate the session (coordinators)."""
    rows = await repository.list_for_session(session, session_id, limit=limit, offset=offset)
    return [ParticipantPublic.model_validate(row) for row in rows]
