"""HTTP endpoints for offering kinds, themes, offerings, their lifecycle and their history."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request, status
from fastapi.responses import Response

from services.catalog.audience import eligibility
from services.catalog.history import repository as history
from services.catalog.history.schemas import OfferingChangePage, OfferingChangePublic
from services.catalog.offerings import repository, service
from services.catalog.offerings.schemas import (
    OfferingCreate,
    OfferingDetail,
    OfferingKindCreate,
    OfferingKindPage,
    OfferingKindPublic,
    OfferingPublic,
    OfferingUpdate,
    ThemeCreate,
    ThemePage,
    ThemePublic,
)
from services.catalog.sessions import repository as sessions_repository
from services.catalog.sessions.schemas import SessionPage, session_public
from services.kernel.auth.tokens import CoordinatorOnly, CurrentPrincipal
from services.kernel.database import SessionDep, TransactionalRoute
from services.kernel.etags import (
    PreconditionFailed,
    PreconditionRequired,
    conditional_json,
    require_if_match,
    version_etag,
)
from services.kernel.languages import Language, ReaderLanguage, answered_in
from services.kernel.paging import Paging
from services.kernel.problems import COMMON_RESPONSES, Forbidden, Problem, responses_for

router = APIRouter(route_class=TransactionalRoute, tags=["offerings"], responses=COMMON_RESPONSES)
ETAG_HEADER = {"ETag": {"description": "Strong tag of this version; send it back in If-Match to edit."}}


def write_responses(*more: type[Problem]) -> dict[int | str, dict[str, Any]]:
    """What a change to an offering can answer: the common refusals and `more`, merged per status."""
    return responses_for(Forbidden, service.OfferingNotFound, service.OfferingArchivedProblem, *more)


def _variant(offering: OfferingPublic, *about_reader: Any) -> Any:
    """The ETag variant of a representation in English or about its reader: None for the plain one."""
    variant = [*about_reader, *(["en"] if offering.language is Language.en else [])]
    return variant or None


def offering_response(request: Request, offering: OfferingPublic, status_code: int = 200) -> Response:
    answered_in(request, offering.language)
    response = conditional_json(
        request, offering.model_dump(mode="json"), etag=version_etag(offering.version, _variant(offering))
    )
    if response.status_code == 200:
        response.status_code = status_code
    return response


@router.get("/offering-kinds", summary="List offering kinds", response_model=OfferingKindPage)
async def list_offering_kinds(
    request: Request, session: SessionDep, _: CurrentPrincipal, language: ReaderLanguage, paging: Paging
) -> Response:
    """The kinds of offering the programme runs (theme gathering, reflection group, ...)."""
    kinds = [service.kind_public(k, language) for k in await repository.list_kinds(session)]
    return conditional_json(request, paging.slice(OfferingKindPage, kinds).model_dump(mode="json"))


@router.post(
    "/offering-kinds",
    summary="Add an offering kind",
    status_code=status.HTTP_201_CREATED,
    responses={403: Forbidden.openapi(), 409: service.AlreadyExists.openapi()},
)
async def create_offering_kind(
    session: SessionDep, _: CoordinatorOnly, language: ReaderLanguage, body: OfferingKindCreate
) -> OfferingKindPublic:
    """A new kind of offering is data, not code (coordinators)."""
    return service.kind_public(await service.create_kind(session, body), language)


@router.get("/themes", summary="List themes", response_model=ThemePage)
async def list_themes(
    request: Request, session: SessionDep, _: CurrentPrincipal, language: ReaderLanguage, paging: Paging
) -> Response:
    """Themes offerings are tagged with (trust-based governance, crisis leadership, ...)."""
    themes = [service.theme_public(t, language) for t in await repository.list_themes(session)]
    return conditional_json(request, paging.slice(ThemePage, themes).model_dump(mode="json"))


@router.post(
    "/themes",
    summary="Add a theme",
    status_code=status.HTTP_201_CREATED,
    responses={403: Forbidden.openapi(), 409: service.AlreadyExists.openapi()},
)
async def create_theme(
    session: SessionDep, _: CoordinatorOnly, language: ReaderLanguage, body: ThemeCreate
) -> ThemePublic:
    """A new theme offerings can be tagged with (coordinators)."""
    return service.theme_public(await service.create_theme(session, body), language)


@router.post(
    "/offerings",
    summary="Create an offering (draft)",
    status_code=status.HTTP_201_CREATED,
    response_model=OfferingPublic,
    responses={
        **responses_for(Forbidden, service.UnknownOfferingKind, service.UnknownTheme),
        201: {"headers": ETAG_HEADER},
    },
)
async def create_offering(
    request: Request,
    session: SessionDep,
    principal: CoordinatorOnly,
    language: ReaderLanguage,
    body: OfferingCreate,
) -> Response:
    """Add an offering as a draft, visible to coordinators until it is published."""
    offering = await service.create_offering(session, principal, body)
    return offering_response(
        request, await service.to_public(session, offering, language), status.HTTP_201_CREATED
    )


@router.get(
    "/offerings/{offering_id}",
    summary="Get an offering",
    response_model=OfferingDetail,
    responses={
        404: service.OfferingNotFound.openapi(),
        304: {"description": "Not modified"},
        200: {"headers": ETAG_HEADER},
    },
)
async def get_offering(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    language: ReaderLanguage,
    offering_id: uuid.UUID,
) -> Response:
    """One offering, with whether you may enroll in it; drafts and archived ones only for coordinators.
    Answers If-None-Match with 304."""
    offering = await service.get_visible(session, principal, offering_id)
    public = await service.to_public(session, offering, language)
    verdict = eligibility.verdict(
        await eligibility.caller_in(session, principal.oid),
        status=public.status,
        audience=public.audience,
        booking_unit=public.booking_unit,
        org_unit_ids=public.audience_org_unit_ids,
    )
    detail = OfferingDetail.model_validate({**public.model_dump(), "eligibility": verdict})
    answered_in(request, public.language)
    response = conditional_json(
        request,
        detail.model_dump(mode="json"),
        etag=version_etag(offering.version, _variant(public, verdict)),
    )
    response.headers["Vary"] = "Authorization"
    return response


@router.patch(
    "/offerings/{offering_id}",
    summary="Edit an offering",
    response_model=OfferingPublic,
    responses=write_responses(
        PreconditionFailed, PreconditionRequired, service.UnknownTheme, service.NotPublishable
    ),
)
async def update_offering(
    request: Request,
    session: SessionDep,
    principal: CoordinatorOnly,
    language: ReaderLanguage,
    offering_id: uuid.UUID,
    body: OfferingUpdate,
) -> Response:
    """Change some fields. Needs If-Match with the ETag you read: 412 when someone else changed it since."""
    offering = await service.lock_for_change(session, offering_id)
    require_if_match(request, version_etag(offering.version))
    offering = await service.update_offering(session, principal, offering, body)
    return offering_response(request, await service.to_public(session, offering, language))


@router.post(
    "/offerings/{offering_id}/publish",
    summary="Publish an offering",
    response_model=OfferingPublic,
    responses=write_responses(
        PreconditionFailed, service.InvalidTransition, service.NotPublishable, service.UnknownOfferingKind
    ),
)
async def publish_offering(
    request: Request,
    session: SessionDep,
    principal: CoordinatorOnly,
    language: ReaderLanguage,
    offering_id: uuid.UUID,
) -> Response:
    """Make a draft visible to every employee; 409 `not-publishable` names what is missing."""
    offering = await service.lock_for_change(session, offering_id)
    require_if_match(request, version_etag(offering.version), required=False)
    offering = await service.publish_offering(session, principal, offering)
    return offering_response(request, await service.to_public(session, offering, language))


@router.post(
    "/offerings/{offering_id}/archive",
    summary="Archive an offering",
    response_model=OfferingPublic,
    responses=write_responses(PreconditionFailed, service.InvalidTransition),
)
async def archive_offering(
    request: Request,
    session: SessionDep,
    principal: CoordinatorOnly,
    language: ReaderLanguage,
    offering_id: uuid.UUID,
) -> Response:
    """Retire an offering: it stays readable to coordinators with its history and takes no more changes."""
    offering = await service.lock_for_change(session, offering_id)
    require_if_match(request, version_etag(offering.version), required=False)
    offering = await service.archive_offering(session, principal, offering)
    return offering_response(request, await service.to_public(session, offering, language))


@router.get(
    "/offerings/{offering_id}/sessions",
    summary="List an offering's sessions",
    response_model=SessionPage,
    responses={404: service.OfferingNotFound.openapi()},
)
async def list_offering_sessions(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    language: ReaderLanguage,
    offering_id: uuid.UUID,
    paging: Paging,
) -> Response:
    """All sessions of the offering in date order (a programme's in its order), with free seats."""
    offering = await service.get_visible(session, principal, offering_id)
    rows = [session_public(r, language) for r in await sessions_repository.for_offering(session, offering.id)]
    return conditional_json(request, paging.slice(SessionPage, rows).model_dump(mode="json"))


@router.get(
    "/offerings/{offering_id}/history",
    summary="Change history of an offering",
    responses={403: Forbidden.openapi(), 404: service.OfferingNotFound.openapi()},
)
async def offering_history(
    session: SessionDep,
    principal: CoordinatorOnly,
    offering_id: uuid.UUID,
    paging: Paging,
) -> OfferingChangePage:
    """Who changed what and when, newest first (coordinators)."""
    offering = await service.get_visible(session, principal, offering_id)
    rows = await history.for_offering(session, offering.id, limit=paging.fetch, offset=paging.offset)
    return paging.page(OfferingChangePage, [OfferingChangePublic.model_validate(row) for row in rows])
