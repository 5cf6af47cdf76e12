"""HTTP endpoints for sessions."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from services.catalog.sessions import repository, service
from services.catalog.sessions.schemas import SessionCreate, SessionPublic
from services.kernel.auth.tokens import CoordinatorOnly, CurrentPrincipal
from services.kernel.database import SessionDep
from services.kernel.problems import COMMON_RESPONSES, Forbidden, NotFound
from services.kernel.schemas import PageLimit, PageOffset

router = APIRouter(tags=["sessions"], responses=COMMON_RESPONSES)


@router.post(
    "/sessions",
    summary="Schedule a session",
    status_code=status.HTTP_201_CREATED,
    responses={403: Forbidden.openapi(), 404: NotFound.openapi(), 409: service.OfferingArchived.openapi()},
)
async def schedule_session(session: SessionDep, _: CoordinatorOnly, body: SessionCreate) -> SessionPublic:
    """Schedule a dated session of an offering (coordinators); enrolment learns of it by event."""
    return SessionPublic.model_validate(await service.schedule(session, body))


@router.get("/sessions", summary="List sessions")
async def list_sessions(
    session: SessionDep,
    _: CurrentPrincipal,
    offering_id: uuid.UUID | None = None,
    limit: PageLimit = 50,
    offset: PageOffset = 0,
) -> list[SessionPublic]:
    """Sessions in date order, optionally of one offering, with seats taken and available."""
    rows = await repository.list_sessions(session, offering_id=offering_id, limit=limit, offset=offset)
    return [SessionPublic.model_validate(row) for row in rows]


@router.get("/sessions/{session_id}", summary="Get a session", responses={404: NotFound.openapi()})
async def get_session(session: SessionDep, _: CurrentPrincipal, session_id: uuid.UUID) -> SessionPublic:
    """One session with its current seat count."""
    return SessionPublic.model_validate(await service.get(session, session_id))
