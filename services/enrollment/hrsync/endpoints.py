"""Sync API for the HR integration (role `hr-integration`), and pending references for ops."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request

from services.enrollment.hrsync import repository, service
from services.enrollment.hrsync.schemas import (
    LeaderGroupSync,
    OrgUnitSync,
    PendingReference,
    PendingReferencePage,
    PeopleSync,
    SyncResult,
)
from services.kernel.auth.tokens import HrIntegrationOnly, Principal, Role, require_role
from services.kernel.database import SessionDep, TransactionalRoute
from services.kernel.paging import Paging
from services.kernel.problems import COMMON_RESPONSES, Forbidden

router = APIRouter(
    route_class=TransactionalRoute,
    prefix="/directory",
    tags=["directory sync"],
    responses={**COMMON_RESPONSES, 403: Forbidden.openapi()},
)


def _max_share(request: Request) -> float:
    share: float = request.app.state.settings.directory_max_deactivate_share
    return share


@router.post(
    "/sync/org-units", summary="Sync org units from HR", responses={409: service.FullSyncGuard.openapi()}
)
async def sync_org_units(
    request: Request, session: SessionDep, _: HrIntegrationOnly, body: OrgUnitSync
) -> SyncResult:
    """Upsert org units by external id (any order, safe to repeat); `full` also deactivates the missing."""
    return await service.sync_org_units(session, body, _max_share(request))


@router.post("/sync/people", summary="Sync people from HR", responses={409: service.FullSyncGuard.openapi()})
async def sync_people(
    request: Request, session: SessionDep, _: HrIntegrationOnly, body: PeopleSync
) -> SyncResult:
    """Upsert people by external id (employee number); `full` also deactivates the missing."""
    return await service.sync_people(session, body, _max_share(request))


@router.post(
    "/sync/leader-groups",
    summary="Sync top-leader groups from HR",
    responses={409: service.FullSyncGuard.openapi()},
)
async def sync_leader_groups(
    request: Request, session: SessionDep, _: HrIntegrationOnly, body: LeaderGroupSync
) -> SyncResult:
    """Upsert leader groups by external id; each group's `members` replaces its membership."""
    return await service.sync_leader_groups(session, body, _max_share(request))


@router.get("/pending-references", summary="References waiting for their target")
async def pending_references(
    session: SessionDep,
    _: Annotated[Principal, require_role(Role.ops, Role.hr_integration)],
    paging: Paging,
) -> PendingReferencePage:
    """Records whose parent, org unit or manager has not arrived from HR yet (resolved when it does)."""
    rows = await repository.pending_references(session, paging.fetch, paging.offset)
    return paging.page(PendingReferencePage, [PendingReference.model_validate(row) for row in rows])
