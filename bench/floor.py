"""The floor: the least this stack can do to serve the catalogue listing's 50 rows on this machine.

    BENCH_FLOOR_DSN=postgresql://... BENCH_FLOOR_IDS=<id>,<id>,... \
        .venv/bin/python -m uvicorn --factory bench.floor:create_app --port 8009

FastAPI and uvicorn as the services run them, asyncpg without SQLAlchemy, one hand-written query that
returns the same offerings (the ids the real listing returned, in its order) with the same fields, and
orjson for the body. No authentication, no validation of filters, no ETag, no middleware: what is left is
the web framework, the driver and serialisation, so the catalogue's ratio to it is the cost of
everything the product adds.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import orjson
from fastapi import FastAPI, Request, Response

QUERY = """
SELECT o.id::text AS id, o.kind_code, o.title, o.summary, o.audience, o.booking_unit, o.format,
       o.is_programme, o.status,
       coalesce((SELECT array_agg(t.theme_code ORDER BY t.theme_code) FROM catalog.offering_themes t
                 WHERE t.offering_id = o.id), '{}') AS themes,
       s.upcoming_sessions, s.seats_available, s.open_for_enrollment,
       n.id::text AS next_id, n.starts_at, n.ends_at, n.venue, n.free, n.open
FROM unnest($1::uuid[]) WITH ORDINALITY AS wanted(id, position)
JOIN catalog.offerings o ON o.id = wanted.id
LEFT JOIN LATERAL (
    SELECT count(*) AS upcoming_sessions,
           coalesce(sum(greatest(capacity - seats_taken, 0)), 0) AS seats_available,
           coalesce(bool_or(enrollment_opens_at <= now() AND enrollment_closes_at > now()), false)
               AS open_for_enrollment
    FROM catalog.sessions WHERE offering_id = o.id AND status = 'scheduled' AND starts_at > now()
) s ON true
LEFT JOIN LATERAL (
    SELECT id, starts_at, ends_at, venue, greatest(capacity - seats_taken, 0) AS free,
           (enrollment_opens_at <= now() AND enrollment_closes_at > now()) AS open
    FROM catalog.sessions WHERE offering_id = o.id AND status = 'scheduled' AND starts_at > now()
    ORDER BY starts_at, id LIMIT 1
) n ON true
ORDER BY wanted.position
"""


def _item(row: asyncpg.Record) -> dict[str, Any]:
    return {
        "id": row["id"],
        "kind_code": row["kind_code"],
        "title": row["title"],
        "summary": row["summary"],
        "audience": row["audience"],
        "booking_unit": row["booking_unit"],
        "format": row["format"],
        "themes": row["themes"],
        "is_programme": row["is_programme"],
        "status": row["status"],
        "upcoming_sessions": row["upcoming_sessions"],
        "seats_available": row["seats_available"],
        "open_for_enrollment": row["open_for_enrollment"],
        "next_session": None
        if row["next_id"] is None
        else {
            "id": row["next_id"],
            "starts_at": row["starts_at"],
            "ends_at": row["ends_at"],
            "venue": row["venue"],
            "seats_available": row["free"],
            "open_for_enrollment": row["open"],
        },
    }


def create_app() -> FastAPI:
    ids = [uuid.UUID(value) for value in os.environ["BENCH_FLOOR_IDS"].split(",")]

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.pool = await asyncpg.create_pool(os.environ["BENCH_FLOOR_DSN"], min_size=4, max_size=10)
        try:
            yield
        finally:
            await app.state.pool.close()

    app = FastAPI(lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/offerings")
    async def offerings(request: Request) -> Response:
        rows = await request.app.state.pool.fetch(QUERY, ids)
        body = orjson.dumps({"items": [_item(row) for row in rows], "next_cursor": None})
        return Response(body, media_type="application/json")

    @app.get("/healthz")
    async def healthz() -> Response:
        return Response(b'{"status":"ok"}', media_type="application/json")

    return app
