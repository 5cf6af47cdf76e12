"""The search query: full text with Norwegian stemming, filters, and keyset pagination."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Float, Text, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY, TIMESTAMP, UUID
from sqlalchemy.ext.asyncio import AsyncSession

from services.catalog.search.schemas import SortOrder

# sort -> (key expression, direction). Keys are never NULL, so keyset comparison is a plain row compare.
SORT_KEYS: dict[SortOrder, tuple[str, str, Any]] = {
    SortOrder.relevance: ("ts_rank_cd(o.search_vector, query.q)::float8", "desc", Float()),
    SortOrder.next_session: (
        "coalesce(nxt.starts_at, 'infinity'::timestamptz)",
        "asc",
        TIMESTAMP(timezone=True),
    ),
    SortOrder.by_title: ("lower(o.title)", "asc", Text()),
    SortOrder.newest: ("coalesce(o.published_at, o.created_at)", "desc", TIMESTAMP(timezone=True)),
}
UPCOMING = "s.offering_id = o.id AND s.status = 'scheduled' AND s.starts_at > :now"
OPEN_NOW = (
    "(s.enrolment_opens_at IS NULL OR s.enrolment_opens_at <= :now) "
    "AND (s.enrolment_closes_at IS NULL OR s.enrolment_closes_at > :now)"
)


@dataclass(frozen=True)
class Filters:
    q: str | None
    statuses: list[str]
    kinds: list[str]
    audiences: list[str]
    formats: list[str]
    themes: list[str]
    starts_from: datetime | None
    starts_until: datetime | None
    open_now: bool
    has_free_seats: bool


# The page's summaries in the same statement as the search: one round trip per listing, the busiest read
# of the product (four statements, a model per row and a hash join over all sessions had it at less
# than half its present rate; README "Performance").
PAGE_COLUMNS = f"""
    SELECT h.id, h.sort_key, o.kind_code, o.title, o.summary, o.audience, o.booking_unit, o.format,
           o.is_programme, o.status,
           coalesce((SELECT array_agg(t.theme_code ORDER BY t.theme_code) FROM catalog.offering_themes t
                     WHERE t.offering_id = o.id), '{{}}') AS themes,
           up.sessions AS upcoming_sessions, up.seats AS seats_available, up.open AS open_for_enrolment,
           nx.id AS next_id, nx.starts_at AS next_starts_at, nx.ends_at AS next_ends_at,
           nx.venue AS next_venue, nx.seats_available AS next_seats_available, nx.open AS next_enrolment_open
    FROM hits h
    JOIN catalog.offerings o ON o.id = h.id
    LEFT JOIN LATERAL (
        SELECT count(*) AS sessions, coalesce(sum(greatest(s.capacity - s.seats_taken, 0)), 0) AS seats,
               coalesce(bool_or({OPEN_NOW}), false) AS open
        FROM catalog.sessions s WHERE {UPCOMING}
    ) AS up ON true
    LEFT JOIN LATERAL (
        SELECT s.id, s.starts_at, s.ends_at, s.venue,
               greatest(s.capacity - s.seats_taken, 0) AS seats_available, ({OPEN_NOW}) AS open
        FROM catalog.sessions s WHERE {UPCOMING}
        ORDER BY s.starts_at, s.id LIMIT 1
    ) AS nx ON true
"""


def _has_session(condition: str) -> str:
    """An upcoming session meeting `condition` exists. Written as a correlated `LIMIT 1` rather than
    `EXISTS`: the planner cannot estimate `seats_taken < capacity` and turned EXISTS into a hash join over
    every session (3.4 ms at 10,000 sessions); probing the offering's sessions by index for the few
    offerings left after the other filters takes 1.6 ms."""
    return f"coalesce((SELECT true FROM catalog.sessions s WHERE {UPCOMING} AND {condition} LIMIT 1), false)"


async def search(
    session: AsyncSession,
    filters: Filters,
    sort: SortOrder,
    *,
    after: tuple[Any, uuid.UUID] | None,
    limit: int,
    now: datetime,
) -> Sequence[Any]:
    """The page: rows with `id`, `sort_key` and the listing's columns (see PAGE_COLUMNS), in order."""
    key, direction, key_type = SORT_KEYS[sort]
    where = ["o.status = ANY(:statuses)"]
    params: dict[str, Any] = {"statuses": filters.statuses, "now": now, "limit": limit}
    types: list[Any] = [bindparam("statuses", type_=ARRAY(Text()))]
    if filters.q:
        where.append("o.search_vector @@ query.q")
        params["q"] = filters.q
    for name, column in (("kinds", "kind_code"), ("audiences", "audience"), ("formats", "format")):
        if getattr(filters, name):
            where.append(f"o.{column} = ANY(:{name})")
            params[name] = getattr(filters, name)
            types.append(bindparam(name, type_=ARRAY(Text())))
    if filters.themes:
        where.append(
            "EXISTS (SELECT 1 FROM catalog.offering_themes t "
            "WHERE t.offering_id = o.id AND t.theme_code = ANY(:themes))"
        )
        params["themes"] = filters.themes
        types.append(bindparam("themes", type_=ARRAY(Text())))
    if filters.starts_from or filters.starts_until:
        where.append(
            "EXISTS (SELECT 1 FROM catalog.sessions s WHERE s.offering_id = o.id AND s.status <> 'cancelled' "
            "AND (CAST(:starts_from AS timestamptz) IS NULL OR s.starts_at >= :starts_from) "
            "AND (CAST(:starts_until AS timestamptz) IS NULL OR s.starts_at < :starts_until))"
        )
        params["starts_from"], params["starts_until"] = filters.starts_from, filters.starts_until
        types += [bindparam(n, type_=TIMESTAMP(timezone=True)) for n in ("starts_from", "starts_until")]
    if filters.open_now:
        where.append(_has_session(OPEN_NOW))
    if filters.has_free_seats:
        where.append(_has_session("s.seats_taken < s.capacity"))
    if after is not None:
        operator = ">" if direction == "asc" else "<"
        where.append(f"({key}, o.id) {operator} (:after_key, :after_id)")
        params["after_key"], params["after_id"] = after
        types += [bindparam("after_key", type_=key_type), bindparam("after_id", type_=UUID(as_uuid=True))]
    query_source = (
        "CROSS JOIN (SELECT websearch_to_tsquery('norwegian', :q) AS q) AS query" if filters.q else ""
    )
    # The next session is only joined when it is the sort key.
    next_session = (
        f"LEFT JOIN LATERAL (SELECT min(s.starts_at) AS starts_at FROM catalog.sessions s WHERE {UPCOMING}) "
        "AS nxt ON true"
        if sort is SortOrder.next_session
        else ""
    )
    statement = text(
        f"""
        WITH hits AS (
            SELECT o.id, {key} AS sort_key
            FROM catalog.offerings o
            {query_source}
            {next_session}
            WHERE {" AND ".join(where)}
            ORDER BY {key} {direction}, o.id {direction}
            LIMIT :limit
        )
        {PAGE_COLUMNS}
        ORDER BY h.sort_key {direction}, h.id {direction}
        """
    ).bindparams(*types)
    return (await session.execute(statement, params)).all()
