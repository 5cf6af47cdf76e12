"""HTTP endpoints of personal calendar feeds: create, list and revoke your own (signed in), and the feed
itself, read by a calendar client with the secret in its address and no sign-in."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response, status

from services.enrollment.directory.service import NotInDirectory
from services.enrollment.feeds import service
from services.enrollment.feeds.schemas import CalendarFeedCreated, CalendarFeedPage, CalendarFeedPublic
from services.kernel.auth.tokens import CurrentPrincipal
from services.kernel.database import SessionDep, TransactionalRoute
from services.kernel.paging import Paging
from services.kernel.problems import COMMON_RESPONSES, responses_for

router = APIRouter(route_class=TransactionalRoute, tags=["calendar"], responses=COMMON_RESPONSES)

FEED_PATH = "/calendar-feeds/{secret}/calendar.ics"
# Read with the secret in the address: no sign-in; the gateway limits the rate per feed and keeps the
# secret out of its logs.
SECRET_URL: dict[str, Any] = {"security": [], "x-secret-url": True}


def _address(request: Request, secret: str) -> str:
    """The feed's public address: behind the gateway, from what it forwards (its scheme, host and the
    service's prefix); called directly, the service's own."""
    headers = request.headers
    proto = headers.get("x-forwarded-proto") or request.url.scheme
    host = headers.get("x-forwarded-host") or request.url.netloc
    prefix = headers.get("x-forwarded-prefix", "")
    return f"{proto}://{host}{prefix}{FEED_PATH.format(secret=secret)}"


@router.post(
    "/calendar-feeds",
    summary="Create a personal calendar feed",
    status_code=status.HTTP_201_CREATED,
    responses=responses_for(NotInDirectory, service.TooManyFeeds),
)
async def create_feed(
    request: Request, session: SessionDep, principal: CurrentPrincipal
) -> CalendarFeedCreated:
    """A secret subscription address for a calendar client: your confirmed sessions (and those you are
    waiting for, as tentative), kept up to date on every change. The address is shown only in this
    answer; revoke the feed if it leaks."""
    feed, secret = await service.create(session, principal)
    return CalendarFeedCreated(
        id=feed.id, created_at=feed.created_at, last_read_at=None, url=_address(request, secret)
    )


@router.get("/calendar-feeds", summary="List my calendar feeds", responses=responses_for(NotInDirectory))
async def list_feeds(session: SessionDep, principal: CurrentPrincipal, paging: Paging) -> CalendarFeedPage:
    """Your active feeds, oldest first, without their secrets."""
    feeds = [CalendarFeedPublic.model_validate(f) for f in await service.mine(session, principal)]
    return paging.slice(CalendarFeedPage, feeds)


@router.delete(
    "/calendar-feeds/{feed_id}",
    summary="Revoke a calendar feed",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses_for(NotInDirectory, service.FeedNotFound),
)
async def revoke_feed(session: SessionDep, principal: CurrentPrincipal, feed_id: uuid.UUID) -> Response:
    """The feed's address stops working at once (404 from the next read)."""
    await service.revoke(session, principal, feed_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    FEED_PATH,
    summary="Read a personal calendar feed",
    response_class=Response,
    openapi_extra=SECRET_URL,
    responses={
        200: {
            "content": {"text/calendar": {"schema": {"type": "string"}}},
            "description": "An RFC 5545 calendar.",
        },
        **responses_for(service.FeedNotFound),
    },
)
async def read_feed(
    session: SessionDep,
    secret: Annotated[str, Path(min_length=20, max_length=100, pattern=r"^[A-Za-z0-9_-]+$")],
) -> Response:
    """What a calendar client subscribes to: no sign-in, the secret in the address is the key. A revoked
    or unknown address answers 404."""
    body = await service.calendar(session, secret)
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={
            "Cache-Control": "private, no-cache",
            "Content-Disposition": 'inline; filename="kalender.ics"',
        },
    )
