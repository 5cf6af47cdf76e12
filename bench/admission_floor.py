"""The floors for admission: the least this stack can do to decide enrollments in one session.

    BENCH_FLOOR_DSN=postgresql://... BENCH_FLOOR_MODE=per-request|batched \
        .venv/bin/python -m uvicorn --factory bench.admission_floor:create_app --port 8010

FastAPI and uvicorn as the services run them and asyncpg without SQLAlchemy, on tables of its own
(schema `bench_floor`). `POST /sessions/{id}/enrollments` does the essential work of an enrollment: lock
the session row, check capacity by its counter (a waiting-list position from a second counter), insert
the enrollment and one outbox event, update the counters, commit, answer with the decision. The caller is
named by the bearer token's text (not verified): no authentication, no directory, no audience rules, no
idempotency, no history, no notification, no request id.

- `per-request`: one transaction per request (the lock is held from the lock to the commit).
- `batched`: the requests that arrive while one transaction is deciding are decided together in the
  next one, each answered with its own result once that commits (the ceiling).
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import orjson
from fastapi import FastAPI, Request, Response

SCHEMA = """
CREATE SCHEMA IF NOT EXISTS bench_floor;
CREATE TABLE IF NOT EXISTS bench_floor.sessions (
    id uuid PRIMARY KEY, capacity int NOT NULL,
    confirmed int NOT NULL DEFAULT 0, waiting int NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS bench_floor.enrollments (
    id uuid PRIMARY KEY, session_id uuid NOT NULL REFERENCES bench_floor.sessions, person text NOT NULL,
    status text NOT NULL, position int, created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (session_id, person)
);
CREATE TABLE IF NOT EXISTS bench_floor.events (
    id bigserial PRIMARY KEY, xid xid8 NOT NULL DEFAULT pg_current_xact_id(), payload jsonb NOT NULL
);
"""

LOCK = "SELECT capacity, confirmed, waiting FROM bench_floor.sessions WHERE id = $1 FOR NO KEY UPDATE"
INSERT_ENROLLMENTS = """
INSERT INTO bench_floor.enrollments (id, session_id, person, status, position)
SELECT e.id, $1, e.person, e.status, e.position
FROM unnest($2::uuid[], $3::text[], $4::text[], $5::int[]) AS e(id, person, status, position)
"""
INSERT_EVENTS = "INSERT INTO bench_floor.events (payload) SELECT unnest($1::jsonb[])"
COUNTERS = "UPDATE bench_floor.sessions SET confirmed = $2, waiting = $3 WHERE id = $1"


async def prepare(dsn: str, session_ids: list[uuid.UUID], capacity: int) -> None:
    """The floor's tables, and these sessions empty with this capacity."""
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(SCHEMA)
        await connection.execute(
            "INSERT INTO bench_floor.sessions (id, capacity) SELECT unnest($1::uuid[]), $2",
            session_ids,
            capacity,
        )
    finally:
        await connection.close()


def _decide(
    capacity: int, confirmed: int, waiting: int, people: list[str]
) -> tuple[list[dict[str, Any]], int, int]:
    decisions: list[dict[str, Any]] = []
    for person in people:
        if confirmed < capacity:
            confirmed += 1
            decisions.append(
                {"id": str(uuid.uuid4()), "person": person, "status": "confirmed", "position": None}
            )
        else:
            waiting += 1
            decisions.append(
                {"id": str(uuid.uuid4()), "person": person, "status": "waitlisted", "position": waiting}
            )
    return decisions, confirmed, waiting


async def decide(
    connection: asyncpg.Connection, session_id: uuid.UUID, people: list[str]
) -> list[dict[str, Any]]:
    """Decide these requests, in order, in one transaction on the connection."""
    async with connection.transaction():
        capacity, confirmed, waiting = await connection.fetchrow(LOCK, session_id)
        decisions, confirmed, waiting = _decide(capacity, confirmed, waiting, people)
        await connection.execute(
            INSERT_ENROLLMENTS,
            session_id,
            [uuid.UUID(d["id"]) for d in decisions],
            [d["person"] for d in decisions],
            [d["status"] for d in decisions],
            [d["position"] for d in decisions],
        )
        await connection.execute(
            INSERT_EVENTS, [orjson.dumps({**d, "session_id": str(session_id)}).decode() for d in decisions]
        )
        await connection.execute(COUNTERS, session_id, confirmed, waiting)
    return decisions


class Batcher:
    """Requests per session, decided together by one task while the previous batch commits."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        self._queues: dict[uuid.UUID, list[tuple[str, asyncio.Future[dict[str, Any]]]]] = {}

    async def admit(self, session_id: uuid.UUID, person: str) -> dict[str, Any]:
        answer: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        queue = self._queues.get(session_id)
        if queue is None:
            queue = self._queues[session_id] = []
            asyncio.get_running_loop().create_task(self._drain(session_id, queue))
        queue.append((person, answer))
        return await answer

    async def _drain(
        self, session_id: uuid.UUID, queue: list[tuple[str, asyncio.Future[dict[str, Any]]]]
    ) -> None:
        try:
            while queue:
                batch = queue[:250]
                del queue[:250]
                try:
                    async with self._pool.acquire() as connection:
                        decisions = await decide(connection, session_id, [person for person, _ in batch])
                except Exception as exc:
                    for _, answer in batch:
                        answer.set_exception(exc)
                    continue
                for (_, answer), decision in zip(batch, decisions, strict=True):
                    answer.set_result(decision)
        finally:
            del self._queues[session_id]


def create_app() -> FastAPI:
    dsn = os.environ["BENCH_FLOOR_DSN"]
    batched = os.environ.get("BENCH_FLOOR_MODE", "per-request") == "batched"

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.pool = await asyncpg.create_pool(dsn, min_size=10, max_size=15)
        app.state.batcher = Batcher(app.state.pool)
        yield
        await app.state.pool.close()

    app = FastAPI(lifespan=lifespan)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/sessions/{session_id}/enrollments", status_code=201)
    async def enroll(request: Request, session_id: uuid.UUID) -> Response:
        person = request.headers.get("authorization", "")[-40:]
        if batched:
            decision = await app.state.batcher.admit(session_id, person)
        else:
            async with app.state.pool.acquire() as connection:
                [decision] = await decide(connection, session_id, [person])
        return Response(orjson.dumps(decision), status_code=201, media_type="application/json")

    return app
