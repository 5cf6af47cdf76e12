"""GET /offerings: the course listing, searchable in Norwegian."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from services.catalog.audience import eligibility
from services.catalog.offerings.models import Audience, Format
from services.catalog.offerings.service import UnknownOfferingKind, UnknownTheme
from services.catalog.search import service
from services.catalog.search.repository import Filters
from services.catalog.search.schemas import OfferingPage, SortOrder, StatusFilter
from services.kernel import cursors
from services.kernel.auth.tokens import CurrentPrincipal
from services.kernel.database import ReadsDep, TransactionalRoute
from services.kernel.etags import conditional_orjson
from services.kernel.languages import ReaderLanguage
from services.kernel.problems import COMMON_RESPONSES, Forbidden, responses_for
from services.kernel.schemas import OsloDatetime

router = APIRouter(route_class=TransactionalRoute, tags=["offerings"], responses=COMMON_RESPONSES)
CodeList = Annotated[list[Annotated[str, Query(max_length=64)]], Query(max_length=20)]


@router.get(
    "/offerings",
    summary="Find offerings",
    response_model=OfferingPage,
    responses={
        304: {"description": "Not modified (If-None-Match)"},
        **responses_for(
            cursors.InvalidCursor, service.RelevanceNeedsQuery, Forbidden, UnknownOfferingKind, UnknownTheme
        ),
    },
)
async def find_offerings(
    request: Request,
    reads: ReadsDep,
    principal: CurrentPrincipal,
    language: ReaderLanguage,
    q: Annotated[str | None, Query(max_length=200, description="Search text, Norwegian stemming.")] = None,
    kind: CodeList = [],  # noqa: B006 - FastAPI copies defaults per request
    audience: Annotated[list[Audience], Query(max_length=4)] = [],  # noqa: B006
    theme: CodeList = [],  # noqa: B006
    format: Annotated[list[Format], Query(max_length=3)] = [],  # noqa: B006
    starts_from: Annotated[
        OsloDatetime | None, Query(description="Has a session starting at or after.")
    ] = None,
    starts_until: Annotated[OsloDatetime | None, Query(description="Has a session starting before.")] = None,
    open_now: Annotated[bool, Query(description="Enrollment is open now for an upcoming session.")] = False,
    has_free_seats: Annotated[bool, Query(description="An upcoming session has free seats.")] = False,
    status: Annotated[
        StatusFilter, Query(description="Drafts and archived: coordinators only.")
    ] = StatusFilter.published,
    sort: Annotated[
        SortOrder | None, Query(description="Default: relevance with q, else next-session.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=service.MAX_PAGE)] = 20,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> Response:
    """Search and filter offerings; page with `cursor`. Answers If-None-Match with 304."""
    await service.check_codes(reads, kind, theme)
    filters = Filters(
        q=q.strip() if q and q.strip() else None,
        statuses=service.statuses_for(principal, status),
        kinds=sorted(set(kind)),
        audiences=sorted({a.value for a in audience}),
        formats=sorted({f.value for f in format}),
        themes=sorted(set(theme)),
        starts_from=starts_from,
        starts_until=starts_until,
        open_now=open_now,
        has_free_seats=has_free_seats,
    )
    who = await eligibility.caller(reads, principal.oid)
    page = await service.find(reads, filters, sort, cursor=cursor, limit=limit, who=who, language=language)
    response = conditional_orjson(request, page)
    response.headers["Vary"] = "Authorization"  # each item says whether the caller may enroll
    return response
