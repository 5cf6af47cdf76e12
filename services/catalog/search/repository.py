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


@dataclass(frozen=True)
class Hit:
    id: uuid.UUID
    sort_key: Any


async def search(
    session: AsyncSession,
    filters: Filters,
    sort: SortOrder,
    *,
    after: tuple[Any, uuid.UUID] | None,
    limit: int,
    now: datetime,
) -> list[Hit]:
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
        where.append(f"EXISTS (SELECT 1 FROM catalog.sessions s WHERE {UPCOMING} AND {OPEN_NOW})")
    if filters.has_free_seats:
        where.append(
            f"EXISTS (SELECT 1 FROM catalog.sessions s WHERE {UPCOMING} AND s.seats_taken < s.capacity)"
        )
    if after is not None:
        operator = ">" if direction == "asc" else "<"
        where.append(f"({key}, o.id) {operator} (:after_key, :after_id)")
        params["after_key"], params["after_id"] = after
        types += [bindparam("after_key", type_=key_type), bindparam("after_id", type_=UUID(as_uuid=True))]
    query_source = (
        "CROSS JOIN (SELECT websearch_to_tsquery('norwegian', :q) AS q) AS query" if filters.q else ""
    )
    statement = text(
        f"""
        SELECT o.id, {key} AS sort_key
        FROM catalog.offerings o
        {query_source}
        LEFT JOIN LATERAL (
            SELECT min(s.starts_at) AS starts_at FROM catalog.sessions s WHERE {UPCOMING}
        ) AS nxt ON true
        WHERE {" AND ".join(where)}
        ORDER BY {key} {direction}, o.id {direction}
        LIMIT :limit
        """
    ).bindparams(*types)
    rows = await session.execute(statement, params)
    return [Hit(row.id, row.sort_key) for row in rows]


async def upcoming_sessions(
    session: AsyncSession, offering_ids: Sequence[uuid.UUID], now: datetime
) -> dict[uuid.UUID, list[Any]]:
    """Each offering's upcoming scheduled sessions in date order, with whether enrolment is open now."""
    rows = await session.execute(
        text(
            f"""
            SELECT s.offering_id, s.id, s.starts_at, s.ends_at, s.venue,
                   greatest(s.capacity - s.seats_taken, 0) AS seats_available,
                   ({OPEN_NOW}) AS enrolment_open
            FROM catalog.sessions s
            WHERE s.offering_id = ANY(:ids) AND s.status = 'scheduled' AND s.starts_at > :now
            ORDER BY s.offering_id, s.starts_at, s.id
            """
        ).bindparams(bindparam("ids", type_=ARRAY(UUID(as_uuid=True)))),
        {"ids": list(offering_ids), "now": now},
    )
    grouped: dict[uuid.UUID, list[Any]] = {}
    for row in rows:
        grouped.setdefault(row.offering_id, []).append(row)
    return grouped
