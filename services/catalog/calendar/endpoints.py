"""iCalendar downloads: one session, or every session of an offering."""

from __future__ import annotations

import re
import uuid
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from services.catalog.calendar.ics import calendar_for
from services.catalog.offerings import service as offerings
from services.catalog.offerings.models import Offering
from services.catalog.sessions import repository as sessions_repository
from services.catalog.sessions import service as sessions
from services.catalog.sessions.models import CourseSession
from services.kernel.auth.tokens import CurrentPrincipal
from services.kernel.database import SessionDep, TransactionalRoute
from services.kernel.etags import conditional
from services.kernel.languages import Language, ReaderLanguage, answered_in, pick
from services.kernel.problems import COMMON_RESPONSES, responses_for

router = APIRouter(route_class=TransactionalRoute, tags=["calendar"], responses=COMMON_RESPONSES)
ICS = {"content": {"text/calendar": {"schema": {"type": "string"}}}, "description": "An RFC 5545 calendar."}


def _filename(title: str) -> str:
    return (re.sub(r"[^A-Za-z0-9æøåÆØÅ]+", "-", title).strip("-") or "kalender")[:80]


_ASCII_LETTERS = str.maketrans({"æ": "ae", "ø": "o", "å": "aa", "Æ": "Ae", "Ø": "O", "Å": "Aa"})


def content_disposition(name: str) -> str:
    """RFC 6266: the name as it is (`filename*`, UTF-8) for clients that read it, and an ASCII fallback."""
    plain = name.translate(_ASCII_LETTERS).encode("ascii", "ignore").decode()
    ascii_name = re.sub("-{2,}", "-", plain).strip("-") or "kalender"
    return f"attachment; filename=\"{ascii_name}.ics\"; filename*=UTF-8''{quote(name)}.ics"


def _ics_response(request: Request, body: bytes, title: str) -> Response:
    response = Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": content_disposition(_filename(title))},
    )
    return conditional(request, response)


async def _calendar(
    request: Request,
    session: AsyncSession,
    offering: Offering,
    only: CourseSession | None,
    language: Language,
) -> Response:
    all_sessions = await sessions_repository.for_offering(session, offering.id)
    programme_size = sum(1 for s in all_sessions if s.position is not None)
    chosen = [only] if only is not None else all_sessions
    title = pick(language, offering.title, offering.title_en)
    answered_in(request, Language.en if language is Language.en and offering.title_en else Language.nb)
    body = calendar_for(offering, chosen, name=title, programme_size=programme_size, language=language)
    return _ics_response(request, body, title)


@router.get(
    "/sessions/{session_id}/calendar.ics",
    summary="Download a session as iCalendar",
    response_class=Response,
    responses={200: ICS, **responses_for(sessions.SessionNotFound, offerings.OfferingNotFound)},
)
async def session_calendar(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    language: ReaderLanguage,
    session_id: uuid.UUID,
) -> Response:
    """One VEVENT with a stable UID; re-import after a change and the calendar updates the same entry."""
    course_session = await sessions.get_visible(session, principal, session_id)
    offering = await offerings.get_visible(session, principal, course_session.offering_id)
    return await _calendar(request, session, offering, course_session, language)


@router.get(
    "/offerings/{offering_id}/calendar.ics",
    summary="Download an offering's sessions as iCalendar",
    response_class=Response,
    responses={200: ICS, 404: offerings.OfferingNotFound.openapi()},
)
async def offering_calendar(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    language: ReaderLanguage,
    offering_id: uuid.UUID,
) -> Response:
    """Every session of the offering, cancelled ones with STATUS:CANCELLED so calendars drop them."""
    offering = await offerings.get_visible(session, principal, offering_id)
    return await _calendar(request, session, offering, None, language)
