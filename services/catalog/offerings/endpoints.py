"""HTTP endpoints for offering kinds and offerings."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from services.catalog.offerings import repository, service
from services.catalog.offerings.schemas import OfferingCreate, OfferingKindPublic, OfferingPublic
from services.kernel.auth.tokens import CoordinatorOnly, CurrentPrincipal
from services.kernel.database import SessionDep
from services.kernel.problems import COMMON_RESPONSES, Forbidden, NotFound
from services.kernel.schemas import PageLimit, PageOffset

router = APIRouter(tags=["offerings"], responses=COMMON_RESPONSES)


@router.get("/offering-kinds", summary="List offering kinds")
async def list_offering_kinds(session: SessionDep, _: CurrentPrincipal) -> list[OfferingKindPublic]:
    """The kinds of offering the programme runs (theme gathering, reflection group, ...)."""
    kinds = await repository.list_kinds(session)
    return [OfferingKindPublic.model_validate(kind) for kind in kinds]


@router.get("/offerings", summary="List offerings")
async def list_offerings(
    session: SessionDep,
    _: CurrentPrincipal,
    kind: str | None = None,
    limit: PageLimit = 50,
    offset: PageOffset = 0,
) -> list[OfferingPublic]:
    """Offerings, newest first, optionally of one kind."""
    offerings = await repository.list_offerings(session, kind_code=kind, limit=limit, offset=offset)
    return [OfferingPublic.model_validate(offering) for offering in offerings]


@router.post(
    "/offerings",
    summary="Create an offering",
    status_code=status.HTTP_201_CREATED,
    responses={403: Forbidden.openapi(), 422: service.UnknownOfferingKind.openapi()},
)
async def create_offering(session: SessionDep, _: CoordinatorOnly, body: OfferingCreate) -> OfferingPublic:
    """Add an offering to the catalogue (coordinators)."""
    offering = await service.create_offering(session, body)
    return OfferingPublic.model_validate(offering)


@router.get("/offerings/{offering_id}", summary="Get an offering", responses={404: NotFound.openapi()})
async def get_offering(session: SessionDep, _: CurrentPrincipal, offering_id: uuid.UUID) -> OfferingPublic:
    """One offering."""
    return OfferingPublic.model_validate(await service.get_offering(session, offering_id))
