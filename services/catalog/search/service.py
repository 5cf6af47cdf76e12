"""Finding offerings: visibility, filter validation, opaque cursors, and the summaries a listing shows.

A cursor carries the sort, the last row's sort key and id, and a fingerprint of the filters; it is only
valid for the query that produced it (400 `invalid-cursor` otherwise), so a page is never silently taken
from a different result set.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from services.catalog.offerings import repository as offerings_repository
from services.catalog.offerings.models import Offering, OfferingKind
from services.catalog.offerings.service import UnknownOfferingKind, UnknownTheme
from services.catalog.search import repository
from services.catalog.search.repository import Filters
from services.catalog.search.schemas import (
    NextSession,
    OfferingPage,
    OfferingSummary,
    SortOrder,
    StatusFilter,
)
from services.kernel import cursors
from services.kernel.auth.tokens import Principal, Role
from services.kernel.problems import BadRequestProblem, Forbidden

MAX_PAGE = 100


class RelevanceNeedsQuery(BadRequestProblem):
    slug = "relevance-needs-q"
    title = "Sorting by relevance needs a search text"


def _fingerprint(filters: Filters, sort: SortOrder) -> str:
    normal = json.dumps({"f": asdict(filters), "s": sort.value}, sort_keys=True, default=str)
    return hashlib.sha256(normal.encode()).hexdigest()[:16]


def encode_cursor(filters: Filters, sort: SortOrder, hit: repository.Hit) -> str:
    key = hit.sort_key.isoformat() if isinstance(hit.sort_key, datetime) else hit.sort_key
    raw = json.dumps({"k": key, "i": str(hit.id), "f": _fingerprint(filters, sort)}, separators=(",", ":"))
    return cursors.encode(raw)


def decode_cursor(cursor: str, filters: Filters, sort: SortOrder) -> tuple[Any, uuid.UUID]:
    try:
        data = json.loads(cursors.decode(cursor))
        if data["f"] != _fingerprint(filters, sort):
            raise cursors.InvalidCursor(
                "This cursor belongs to another search; start again without a cursor."
            )
        key = data["k"]
        if sort in (SortOrder.next_session, SortOrder.newest):
            key = datetime.fromisoformat(key)
        elif sort is SortOrder.relevance:
            key = float(key)
        elif not isinstance(key, str):
            raise TypeError
        return key, uuid.UUID(data["i"])
    except cursors.InvalidCursor:
        raise
    except (ValueError, KeyError, TypeError) as exc:
        raise cursors.InvalidCursor("The cursor is malformed; use next_cursor from a previous page.") from exc


def statuses_for(principal: Principal, wanted: StatusFilter) -> list[str]:
    if wanted is StatusFilter.published:
        return ["published"]
    if not principal.has_role(Role.coordinator):
        raise Forbidden("Only coordinators see drafts and archived offerings.")
    return ["draft", "published", "archived"] if wanted is StatusFilter.all else [wanted.value]


async def check_codes(session: AsyncSession, kinds: list[str], themes: list[str]) -> None:
    if kinds:
        found = set(
            (
                await session.execute(select(OfferingKind.code).where(col(OfferingKind.code).in_(kinds)))
            ).scalars()
        )
        unknown = sorted(set(kinds) - found)
        if unknown:
            raise UnknownOfferingKind(
                f"Unknown offering kind {', '.join(unknown)}.", extra={"unknown": unknown}
            )
    if themes:
        unknown = sorted(set(themes) - await offerings_repository.known_theme_codes(session, themes))
        if unknown:
            raise UnknownTheme(f"Unknown theme {', '.join(unknown)}.", extra={"unknown": unknown})


async def find(
    session: AsyncSession, filters: Filters, sort: SortOrder | None, *, cursor: str | None, limit: int
) -> OfferingPage:
    sort = sort or (SortOrder.relevance if filters.q else SortOrder.next_session)
    if sort is SortOrder.relevance and not filters.q:
        raise RelevanceNeedsQuery("Give q, or choose another sort.")
    after = decode_cursor(cursor, filters, sort) if cursor else None
    now = datetime.now(UTC)
    hits = await repository.search(session, filters, sort, after=after, limit=limit + 1, now=now)
    page, more = hits[:limit], len(hits) > limit
    ids = [hit.id for hit in page]
    rows = (await session.execute(select(Offering).where(col(Offering.id).in_(ids)))).scalars().all()
    by_id = {row.id: row for row in rows}
    themes = await offerings_repository.themes_of(session, ids)
    upcoming = await repository.upcoming_sessions(session, ids, now)
    items = [_summary(by_id[i], themes.get(i, []), upcoming.get(i, [])) for i in ids]
    return OfferingPage(items=items, next_cursor=encode_cursor(filters, sort, page[-1]) if more else None)


def _summary(offering: Offering, themes: list[str], sessions: list[Any]) -> OfferingSummary:
    first = sessions[0] if sessions else None
    return OfferingSummary.model_validate(
        {
            **offering.model_dump(),
            "themes": themes,
            "upcoming_sessions": len(sessions),
            "seats_available": sum(s.seats_available for s in sessions),
            "open_for_enrolment": any(s.enrolment_open for s in sessions),
            "next_session": NextSession.model_validate(first, from_attributes=True) if first else None,
        }
    )
