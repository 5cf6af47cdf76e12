"""The search query: Norwegian words and the parts of compound words, filters, and keyset pagination."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import Float, Text, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY, TIMESTAMP, UUID

from services.catalog.search.schemas import SortOrder
from services.kernel.database import DriverStatement, Reads

# Relevance: a title's whole word (or an inflection) 8, a part of a title word 4, so the title outranks the
# rest (whole words elsewhere, 2; parts, 1); the summary, the kind's and themes' names and the description
# count alike. Every candidate matches the parts of words somewhere (the filter), so only whole words
# elsewhere are checked. When relevance ties, an offering with an upcoming session with free seats comes
# first (0.5, half the smallest step).
RELEVANCE = (
    "(CASE WHEN o.title_words @@ query.words THEN 8 WHEN o.title_parts @@ query.parts THEN 4 ELSE 0 END "
    "+ CASE WHEN o.search_vector @@ query.words THEN 2 ELSE 1 END "
    "+ CASE WHEN o.last_free_session_at > :now THEN 0.5 ELSE 0 END)::float8"
)
# The search text parsed once per search: its whole words (stemmed) and its widened query of parts.
QUERY = (
    "SELECT websearch_to_tsquery('norwegian', catalog.search_fold(:q)) AS words, "
    "catalog.search_parts_query(:q) AS parts OFFSET 0"
)
# sort -> (key expression, direction). Keys are never NULL, so keyset comparison is a plain row compare.
SORT_KEYS: dict[SortOrder, tuple[str, str, Any]] = {
    SortOrder.relevance: (RELEVANCE, "desc", Float()),
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
    "(s.enrollment_opens_at IS NULL OR s.enrollment_opens_at <= :now) "
    "AND (s.enrollment_closes_at IS NULL OR s.enrollment_closes_at > :now)"
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
# of the product (four statements, a model per row and a hash join over all sessions were measured much
# slower: bench/README.md).
PAGE_COLUMNS = f"""
    SELECT h.id, h.sort_key, o.kind_code, o.title, o.summary, o.audience, o.booking_unit, o.format,
           o.is_programme, o.status,
           coalesce((SELECT array_agg(t.theme_code ORDER BY t.theme_code) FROM catalog.offering_themes t
                     WHERE t.offering_id = o.id), '{{}}') AS themes,
           up.sessions AS upcoming_sessions, up.seats AS seats_available, up.open AS open_for_enrollment,
           nx.id AS next_id, nx.starts_at AS next_starts_at, nx.ends_at AS next_ends_at,
           nx.venue AS next_venue, nx.seats_available AS next_seats_available,
           nx.open AS next_enrollment_open, o.audience_org_unit_ids, o.title_en, o.summary_en
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
    every session; probing the offering's sessions by index for the few offerings left after the other
    filters costs a fraction of that (bench/README.md)."""
    return f"coalesce((SELECT true FROM catalog.sessions s WHERE {UPCOMING} AND {condition} LIMIT 1), false)"


async def unknown_codes(reads: Reads, kinds: list[str], themes: list[str]) -> tuple[list[str], list[str]]:
    """The offering kinds and the themes among those given that the catalogue does not have."""
    [(unknown_kinds, unknown_themes)] = await reads.fetch(UNKNOWN_CODES, {"kinds": kinds, "themes": themes})
    return list(unknown_kinds), list(unknown_themes)


UNKNOWN_CODES = DriverStatement.of(
    text(
        """
        SELECT ARRAY(SELECT unnest(:kinds) EXCEPT SELECT code FROM catalog.offering_kinds),
               ARRAY(SELECT unnest(:themes) EXCEPT SELECT code FROM catalog.themes)
        """
    ).bindparams(bindparam("kinds", type_=ARRAY(Text())), bindparam("themes", type_=ARRAY(Text())))
)


async def search(
    reads: Reads,
    filters: Filters,
    sort: SortOrder,
    *,
    after: tuple[Any, uuid.UUID] | None,
    limit: int,
    now: datetime,
) -> Sequence[Any]:
    """The page: rows with `id`, `sort_key` and the listing's columns (see PAGE_COLUMNS), in order."""
    params: dict[str, Any] = {"statuses": filters.statuses, "now": now, "limit": limit}
    if filters.q:
        params["q"] = filters.q
    for name in ("kinds", "audiences", "formats", "themes"):
        if getattr(filters, name):
            params[name] = getattr(filters, name)
    dated = bool(filters.starts_from or filters.starts_until)
    if dated:
        params["starts_from"], params["starts_until"] = filters.starts_from, filters.starts_until
    if after is not None:
        params["after_key"], params["after_id"] = after
    shape = _Shape(
        sort,
        bool(filters.q),
        bool(filters.kinds),
        bool(filters.audiences),
        bool(filters.formats),
        bool(filters.themes),
        dated,
        filters.open_now,
        filters.has_free_seats,
        after is not None,
    )
    return await reads.fetch(_statement(shape), params)


class _Shape(NamedTuple):
    """Which parts the statement has: the filters given, the sort, and whether it continues a page."""

    sort: SortOrder
    q: bool
    kinds: bool
    audiences: bool
    formats: bool
    themes: bool
    dated: bool
    open_now: bool
    has_free_seats: bool
    after: bool


@lru_cache(maxsize=512)
def _statement(shape: _Shape) -> DriverStatement:
    """The statement for one shape, built once (building it per request was a visible share of a listing;
    the values travel as bind parameters, so a shape has one statement whatever is searched for)."""
    key, direction, key_type = SORT_KEYS[shape.sort]
    where = ["o.status = ANY(:statuses)"]
    types: list[Any] = [bindparam("statuses", type_=ARRAY(Text()))]
    if shape.q:
        where.append("o.search_parts @@ query.parts")
    if shape.has_free_seats:
        where.append("o.last_free_session_at > :now")
    for name, column, wanted in (
        ("kinds", "kind_code", shape.kinds),
        ("audiences", "audience", shape.audiences),
        ("formats", "format", shape.formats),
    ):
        if wanted:
            where.append(f"o.{column} = ANY(:{name})")
            types.append(bindparam(name, type_=ARRAY(Text())))
    if shape.themes:
        where.append(
            "EXISTS (SELECT 1 FROM catalog.offering_themes t "
            "WHERE t.offering_id = o.id AND t.theme_code = ANY(:themes))"
        )
        types.append(bindparam("themes", type_=ARRAY(Text())))
    # Conditions on the offering's sessions are probed after the candidates are ordered, and only until the
    # page is full (see the statement below).
    probes: list[str] = []
    if shape.dated:
        probes.append(
            "EXISTS (SELECT 1 FROM catalog.sessions s WHERE s.offering_id = o.id AND s.status <> 'cancelled' "
            "AND (CAST(:starts_from AS timestamptz) IS NULL OR s.starts_at >= :starts_from) "
            "AND (CAST(:starts_until AS timestamptz) IS NULL OR s.starts_at < :starts_until))"
        )
        types += [bindparam(n, type_=TIMESTAMP(timezone=True)) for n in ("starts_from", "starts_until")]
    if shape.open_now:
        probes.append(_has_session(OPEN_NOW))
    if shape.after:
        operator = ">" if direction == "asc" else "<"
        where.append(f"({key}, o.id) {operator} (:after_key, :after_id)")
        types += [bindparam("after_key", type_=key_type), bindparam("after_id", type_=UUID(as_uuid=True))]
    # OFFSET 0 keeps the query a subquery evaluated once: inlined, a prepared statement's generic plan
    # (which the driver's statement cache leads to) parsed the search text again for every candidate row,
    # in the index recheck and in the ranking.
    query_source = f"CROSS JOIN ({QUERY}) AS query" if shape.q else ""
    # The next session is only joined when it is the sort key.
    next_session = (
        f"LEFT JOIN LATERAL (SELECT min(s.starts_at) AS starts_at FROM catalog.sessions s WHERE {UPCOMING}) "
        "AS nxt ON true"
        if shape.sort is SortOrder.next_session
        else ""
    )
    candidates = f"""
            SELECT o.id, {key} AS sort_key
            FROM catalog.offerings o
            {query_source}
            {next_session}
            WHERE {" AND ".join(where)}
            ORDER BY {key} {direction}, o.id {direction}
    """
    # With probes, the candidates come ordered from a subquery that OFFSET 0 keeps whole (the planner would
    # otherwise push the probes down into it), and the probes run on them in order until LIMIT has its
    # rows: an index probe for each of a page's offerings, not for each of the hundreds a search matches.
    hits = (
        f"""
            SELECT o.id, o.sort_key FROM ({candidates} OFFSET 0) AS o
            WHERE {" AND ".join(probes)}
            ORDER BY o.sort_key {direction}, o.id {direction}
        """
        if probes
        else candidates
    )
    return DriverStatement.of(
        text(
            f"""
            WITH hits AS ({hits} LIMIT :limit)
            {PAGE_COLUMNS}
            ORDER BY h.sort_key {direction}, h.id {direction}
            """
        ).bindparams(*types)
    )
