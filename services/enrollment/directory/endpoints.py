"""HTTP endpoints of the directory."""

from __future__ import annotations

from fastapi import APIRouter

from services.enrollment.directory import repository, service
from services.enrollment.directory.schemas import OrgUnitPublic, PersonPublic
from services.kernel.auth.tokens import CurrentPrincipal
from services.kernel.database import SessionDep
from services.kernel.problems import COMMON_RESPONSES
from services.kernel.schemas import PageLimit, PageOffset

router = APIRouter(tags=["directory"], responses=COMMON_RESPONSES)


@router.get("/people/me", summary="My directory record", responses={403: service.NotInDirectory.openapi()})
async def get_me(session: SessionDep, principal: CurrentPrincipal) -> PersonPublic:
    """The signed-in person as the HR directory knows them."""
    return PersonPublic.model_validate(await service.person_for(session, principal))


@router.get("/org-units", summary="List org units")
async def list_org_units(
    session: SessionDep,
    _: CurrentPrincipal,
    limit: PageLimit = 100,
    offset: PageOffset = 0,
) -> list[OrgUnitPublic]:
    """Agencies, city districts, departments and enterprises, by name."""
    units = await repository.list_org_units(session, limit=limit, offset=offset)
    return [OrgUnitPublic.model_validate(unit) for unit in units]
