"""Finding offerings: visibility, filter validation, opaque cursors, and the summaries a listing shows.

A cursor carries the sort, the last row's sort key and id, and a fingerprint of the filters; it is only
valid for the query that produced it (400 `invalid-cursor` otherwise), so a page is never silently taken
from a different result set.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime
from typing import Any

from services.catalog.audience.eligibility import Caller, verdict
from services.catalog.offerings.service import UnknownOfferingKind, UnknownTheme
from services.catalog.search import repository
from services.catalog.search.repository import Filters
from services.catalog.search.schemas import (
    SortOrder,
    StatusFilter,
)
from services.kernel import clock, cursors
from services.kernel.auth.tokens import Principal, Role
from services.kernel.database import Reads
from services.kernel.languages import Language, pick
from services.kernel.problems import BadRequestProblem, Forbidden
from services.kernel.schemas import OSLO

MAX_PAGE = 100


class RelevanceNeedsQuery(BadRequestProblem):
    slug = "relevance-needs-q"
    title = "Sorting by relevance needs a search text"


def _fingerprint(filters: Filters, sort: SortOrder) -> str:
    # `vars`, not `dataclasses.asdict`: the same mapping (so the same fingerprint), without asdict's deep
    # copy of every list, which was a twentieth of a listing's time.
    normal = json.dumps({"f": vars(filters), "s": sort.value}, sort_keys=True, default=str)
    return hashlib.sha256(normal.encode()).hexdigest()[:16]


def encode_cursor(filters: Filters, sort: SortOrder, last_id: uuid.UUID, sort_key: Any) -> str:
    key = sort_key.isoformat() if isinstance(sort_key, datetime) else sort_key
    raw = json.dumps({"k": key, "i": str(last_id), "f": _fingerprint(filters, sort)}, separators=(",", ":"))
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


async def check_codes(reads: Reads, kinds: list[str], themes: list[str]) -> None:
    if not kinds and not themes:
        return
    unknown_kinds, unknown_themes = await repository.unknown_codes(reads, kinds, themes)
    if unknown_kinds:
        unknown = sorted(unknown_kinds)
        raise UnknownOfferingKind(f"Unknown offering kind {', '.join(unknown)}.", extra={"unknown": unknown})
    if unknown_themes:
        unknown = sorted(unknown_themes)
        raise UnknownTheme(f"Unknown theme {', '.join(unknown)}.", extra={"unknown": unknown})


async def find(
    reads: Reads,
    filters: Filters,
    sort: SortOrder | None,
    *,
    cursor: str | None,
    limit: int,
    who: Caller,
    language: Language,
) -> dict[str, Any]:
    """One page as the JSON-ready body of `OfferingPage` (plain dicts: the listing is the hottest read, and
    building a model per row and dumping it again cost more than the query; the endpoint documents the
    model and the contract tests check every answer against it)."""
    sort = sort or (SortOrder.relevance if filters.q else SortOrder.next_session)
    if sort is SortOrder.relevance and not filters.q:
        raise RelevanceNeedsQuery("Give q, or choose another sort.")
    after = decode_cursor(cursor, filters, sort) if cursor else None
    now = clock.now()
    rows = await repository.search(reads, filters, sort, after=after, limit=limit + 1, now=now)
    page, more = rows[:limit], len(rows) > limit
    return {
        "items": [_summary(row, who, language) for row in page],
        "next_cursor": encode_cursor(filters, sort, page[-1]["id"], page[-1]["sort_key"]) if more else None,
    }


def _summary(row: Any, who: Caller, language: Language) -> dict[str, Any]:
    """`OfferingSummary` for one row of `repository.search` (unpacked by position: attribute access on 19
    columns of 50 rows was a tenth of the request); times in Oslo, as `OsloDatetime` shows them."""
    (
        offering_id, _, kind_code, title, summary, audience, booking_unit, format_, is_programme, status,
        themes, upcoming, seats, open_now, next_id, starts_at, ends_at, venue, next_seats, next_open,
        audience_units, title_en, summary_en,
    ) = row  # fmt: skip
    english = language is Language.en and bool(title_en)
    return {
        "id": str(offering_id),
        "kind_code": kind_code,
        "title": title_en if english else title,
        "summary": pick(language, summary, summary_en),
        "language": "en" if english else "nb",
        "audience": audience,
        "booking_unit": booking_unit,
        "format": format_,
        "themes": themes,
        "is_programme": is_programme,
        "status": status,
        "upcoming_sessions": upcoming,
        "seats_available": seats,
        "open_for_enrollment": open_now,
        "next_session": None
        if next_id is None
        else {
            "id": str(next_id),
            "starts_at": starts_at.astimezone(OSLO),  # orjson writes it as `OsloDatetime` does
            "ends_at": ends_at.astimezone(OSLO),
            "venue": venue,
            "seats_available": next_seats,
            "open_for_enrollment": next_open,
        },
        "eligibility": verdict(
            who, status=status, audience=audience, booking_unit=booking_unit, org_unit_ids=audience_units
        ),
    }
