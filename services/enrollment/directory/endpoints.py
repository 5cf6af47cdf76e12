"""HTTP endpoints of the directory (reads; the HR integration writes through /directory/sync)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from services.enrollment.directory import repository, service
from services.enrollment.directory.models import OrgUnitKind
from services.enrollment.directory.schemas import (
    LeaderGroupPage,
    LeaderGroupPublic,
    OrgUnitPage,
    OrgUnitPublic,
    PersonPage,
    PersonPublic,
)
from services.enrollment.privacy.models import PersonalDataRead
from services.kernel.auth.tokens import CoordinatorOnly, CurrentPrincipal
from services.kernel.database import SessionDep, TransactionalRoute
from services.kernel.paging import Paging
from services.kernel.privacy import record_read
from services.kernel.problems import COMMON_RESPONSES, Forbidden, NotFound

router = APIRouter(route_class=TransactionalRoute, tags=["directory"], responses=COMMON_RESPONSES)
Search = Annotated[str | None, Query(max_length=200, description="Part of a name, e-mail or external id.")]


@router.get("/people/me", summary="My directory record", responses={403: service.NotInDirectory.openapi()})
async def get_me(session: SessionDep, principal: CurrentPrincipal) -> PersonPublic:
    """The signed-in person as the HR directory knows them."""
    return PersonPublic.model_validate(await service.person_for(session, principal))


@router.get("/people", summary="Find people", responses={403: Forbidden.openapi()})
async def find_people(
    session: SessionDep,
    principal: CoordinatorOnly,
    paging: Paging,
    q: Search = None,
    org_unit_id: uuid.UUID | None = None,
    active: bool | None = None,
) -> PersonPage:
    """People by name, e-mail or employee number (coordinators). The read is recorded (docs/privacy.md)."""
    rows = await repository.search_people(
        session, q=q, org_unit_id=org_unit_id, active=active, limit=paging.fetch, offset=paging.offset
    )
    page = paging.page(PersonPage, [PersonPublic.model_validate(row) for row in rows])
    await record_read(
        session, PersonalDataRead, principal, "people search", subject_ids=[p.id for p in page.items]
    )
    return page


@router.get("/people/{person_id}", summary="Get a person", responses={404: service.PersonNotFound.openapi()})
async def get_person(session: SessionDep, principal: CurrentPrincipal, person_id: uuid.UUID) -> PersonPublic:
    """Your own record, or anyone's as a coordinator; otherwise 404 (never 403)."""
    return PersonPublic.model_validate(await service.readable_person(session, principal, person_id))


@router.get("/org-units", summary="Find org units")
async def find_org_units(
    session: SessionDep,
    _: CurrentPrincipal,
    paging: Paging,
    q: Search = None,
    kind: OrgUnitKind | None = None,
    sector: Annotated[str | None, Query(max_length=200)] = None,
    active: bool | None = None,
) -> OrgUnitPage:
    """Agencies, city districts, departments and enterprises, by name."""
    rows = await repository.search_org_units(
        session,
        q=q,
        kind=kind.value if kind else None,
        sector=sector,
        active=active,
        limit=paging.fetch,
        offset=paging.offset,
    )
    return paging.page(OrgUnitPage, [OrgUnitPublic.model_validate(row) for row in rows])


@router.get("/org-units/{org_unit_id}", summary="Get an org unit", responses={404: NotFound.openapi()})
async def get_org_unit(session: SessionDep, _: CurrentPrincipal, org_unit_id: uuid.UUID) -> OrgUnitPublic:
    """One org unit."""
    unit = await repository.get_org_unit(session, org_unit_id)
    if unit is None:
        raise NotFound(f"No org unit {org_unit_id}.")
    return OrgUnitPublic.model_validate(unit)


@router.get("/leader-groups", summary="Find leader groups", responses={403: Forbidden.openapi()})
async def find_leader_groups(
    session: SessionDep,
    _: CoordinatorOnly,
    paging: Paging,
    q: Search = None,
    org_unit_id: uuid.UUID | None = None,
) -> LeaderGroupPage:
    """Top-leader groups with their members (coordinators)."""
    groups = await repository.search_groups(
        session, q=q, org_unit_id=org_unit_id, limit=paging.fetch, offset=paging.offset
    )
    return paging.page(LeaderGroupPage, await service.with_members(session, groups))


@router.get(
    "/leader-groups/mine",
    summary="The leader groups I lead",
    responses={403: service.NotInDirectory.openapi()},
)
async def my_leader_groups(
    session: SessionDep, principal: CurrentPrincipal, paging: Paging
) -> LeaderGroupPage:
    """For a top leader: their own group(s) with members; empty for everyone else."""
    me = await service.person_for(session, principal)
    groups = await service.with_members(session, await repository.groups_led_by(session, me.id))
    return paging.slice(LeaderGroupPage, groups)


@router.get(
    "/leader-groups/{group_id}",
    summary="Get a leader group",
    responses={404: service.LeaderGroupNotFound.openapi()},
)
async def get_leader_group(
    session: SessionDep, principal: CurrentPrincipal, group_id: uuid.UUID
) -> LeaderGroupPublic:
    """A group you lead, or any as a coordinator; otherwise 404 (never 403)."""
    group = await service.readable_group(session, principal, group_id)
    [public] = await service.with_members(session, [group])
    return public
