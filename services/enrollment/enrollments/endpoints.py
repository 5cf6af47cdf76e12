"""HTTP endpoints for enrolments."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from services.enrollment.directory.service import NotInDirectory, person_for
from services.enrollment.enrollments import repository, service
from services.enrollment.enrollments.schemas import EnrollmentCreate, EnrollmentPublic
from services.kernel.auth.tokens import CurrentPrincipal
from services.kernel.database import SessionDep
from services.kernel.problems import COMMON_RESPONSES, Forbidden, NotFound
from services.kernel.schemas import PageLimit, PageOffset

router = APIRouter(tags=["enrollments"], responses=COMMON_RESPONSES)


@router.post(
    "/enrollments",
    summary="Enrol in a session",
    status_code=status.HTTP_201_CREATED,
    responses={
        403: NotInDirectory.openapi(),
        404: service.SessionNotFound.openapi(),
        409: service.SessionFull.openapi(),
    },
)
async def create_enrollment(
    session: SessionDep, principal: CurrentPrincipal, body: EnrollmentCreate
) -> EnrollmentPublic:
    """Enrol yourself (or, as a coordinator, anyone) in a session with a free seat."""
    return EnrollmentPublic.model_validate(await service.enroll(session, principal, body))


@router.get("/enrollments/mine", summary="List my enrolments", responses={403: NotInDirectory.openapi()})
async def list_my_enrollments(
    session: SessionDep,
    principal: CurrentPrincipal,
    limit: PageLimit = 50,
    offset: PageOffset = 0,
) -> list[EnrollmentPublic]:
    """The signed-in person's enrolments, newest first."""
    me = await person_for(session, principal)
    rows = await repository.list_for_person(session, me.id, limit=limit, offset=offset)
    return [EnrollmentPublic.model_validate(row) for row in rows]


@router.get(
    "/enrollments/{enrollment_id}",
    summary="Get an enrolment",
    responses={403: Forbidden.openapi(), 404: NotFound.openapi()},
)
async def get_enrollment(
    session: SessionDep, principal: CurrentPrincipal, enrollment_id: uuid.UUID
) -> EnrollmentPublic:
    """One enrolment: your own, or any as a coordinator."""
    return EnrollmentPublic.model_validate(await service.get_visible(session, principal, enrollment_id))
