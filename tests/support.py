"""Helpers for tests: tokens, service clients, waiting for eventual consistency, factories."""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import httpx
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy import text as sql
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from devtools import devkeys
from services.enrollment.directory.models import LeaderGroup, LeaderGroupMember, OrgUnit, Person
from services.kernel import database

T = TypeVar("T")


class TokenFactory:
    def __init__(self, keys_dir: Path) -> None:
        self.keys_dir = keys_dir

    def __call__(self, *roles: str, oid: str | None = None, email: str | None = None, **claims: Any) -> str:
        email = email or "tester@uke.oslo.kommune.no"
        return devkeys.mint_token(
            oid=oid or devkeys.person_oid(email),
            roles=list(roles),
            email=email,
            directory=self.keys_dir,
            extra_claims=claims or None,
        )

    def header(self, *roles: str, **kwargs: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {self(*roles, **kwargs)}"}


# Every problem answer the in-process apps gave during the run: (app title, endpoint name, status, type).
# Checked against the committed OpenAPI documents at the end of the run (conftest `pytest_sessionfinish`).
ANSWERED_PROBLEMS: set[tuple[str, str, int, str]] = set()


def _recording(app: FastAPI, inner: Any) -> Any:
    """`inner` (the app behind its lifespan manager), noting each problem answer and its endpoint."""

    async def record(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await inner(scope, receive, send)
            return
        answer: dict[str, Any] = {"body": b""}

        async def noting(message: Any) -> None:
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]
                answer["problem"] = (b"content-type", b"application/problem+json") in message.get(
                    "headers", []
                )
            elif message["type"] == "http.response.body" and answer.get("problem"):
                answer["body"] += message.get("body", b"")
            await send(message)

        await inner(scope, receive, noting)
        endpoint = scope.get("endpoint")
        if answer.get("problem") and endpoint is not None and answer["body"]:
            problem = json.loads(answer["body"])
            ANSWERED_PROBLEMS.add((app.title, endpoint.__name__, answer["status"], problem.get("type", "")))

    return record


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """Run the app's lifespan and give a client that calls it in-process."""
    async with LifespanManager(app, startup_timeout=30, shutdown_timeout=30) as manager:
        # Like a real server: an unhandled error is a 500 response, not an exception in the test.
        transport = httpx.ASGITransport(app=_recording(app, manager.app), raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client


async def eventually(
    check: Callable[[], Awaitable[T | None]],
    *,
    within: float = 10.0,
    describe: Callable[[], Awaitable[str]] | None = None,
) -> T:
    """Poll `check` until it returns something truthy (eventual consistency across services)."""
    deadline = time.monotonic() + within
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            detail = await describe() if describe else ""
            raise AssertionError(f"condition not met within {within}s {detail}")
        await asyncio.sleep(0.05)


async def bus_state(engine: AsyncEngine) -> str:
    """What the event bus looks like now, for a test whose consumer never caught up: every subscription's
    position and error, the ordering fence, and the transactions that hold it."""
    async with engine.connect() as connection:
        subscriptions = await connection.execute(
            sql("SELECT name, last_xid::text, last_id, attempts, last_error FROM eventbus.subscriptions")
        )
        fence = await connection.scalar(sql("SELECT pg_current_snapshot()::text"))
        holders = await connection.execute(
            sql(
                "SELECT datname, application_name, state, backend_xid::text AS xid, xact_start, "
                "left(query, 120) AS query FROM pg_stat_activity WHERE backend_xid IS NOT NULL"
            )
        )
        newest = await connection.scalar(sql("SELECT max(id) FROM eventbus.events"))
    lines = [f"newest event {newest}; snapshot {fence}"]
    lines += [f"subscription {row._mapping}" for row in subscriptions]
    lines += [f"transaction {row._mapping}" for row in holders]
    return "\n".join(lines)


def hr_id(text: str) -> str:
    """An external id as HR would send it (letters, digits and . _ : / - only)."""
    return re.sub(r"[^A-Za-z0-9._:/-]", "-", text)


async def create_org_unit(session: AsyncSession, name: str = "Bydel Alna", **fields: Any) -> OrgUnit:
    unit = OrgUnit(
        external_id=fields.pop("external_id", hr_id(f"ou-{name}")),
        name=name,
        kind=fields.pop("kind", "city-district"),
        sector=fields.pop("sector", "Bydel"),
        **fields,
    )
    session.add(unit)
    await session.flush()
    return unit


async def create_person(
    session: AsyncSession,
    email: str,
    *,
    org_unit: OrgUnit | None = None,
    name: str = "Test Person",
    **fields: Any,
) -> Person:
    person = Person(
        external_id=fields.pop("external_id", hr_id(f"E-{email}")),
        name=name,
        email=email,
        entra_oid=fields.pop("entra_oid", devkeys.person_oid(email)),
        org_unit_id=org_unit.id if org_unit else None,
        org_unit_external_id=org_unit.external_id if org_unit else None,
        **fields,
    )
    session.add(person)
    await session.flush()
    return person


async def create_leader(
    session: AsyncSession, email: str, *, members: Sequence[Person] = (), **fields: Any
) -> Person:
    """A top leader: a person who leads an active leader group (with these members), so every leader
    audience admits them."""
    leader = await create_person(session, email, **fields)
    group = LeaderGroup(
        external_id=hr_id(f"LG-{email}"),
        org_unit_external_id=leader.org_unit_external_id,
        name=f"Ledergruppen til {leader.name}",
        org_unit_id=leader.org_unit_id,
        leader_id=leader.id,
        leader_external_id=leader.external_id,
    )
    session.add(group)
    await session.flush()
    for person in (leader, *members):
        session.add(
            LeaderGroupMember(group_id=group.id, person_external_id=person.external_id, person_id=person.id)
        )
    await session.flush()
    return leader


@asynccontextmanager
async def fresh_database(server_url: str, prefix: str) -> AsyncIterator[str]:
    """A new database on the server, migrated to head; dropped when the block ends."""
    from services.cli import migrate_all

    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(database.libpq_dsn(server_url))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    try:
        await migrate_all(url)
        yield url
    finally:
        admin = await asyncpg.connect(database.libpq_dsn(server_url))
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()
