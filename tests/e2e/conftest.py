"""Fixtures for end-to-end tests: the real processes, started once for the whole e2e package."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from services.cli import _migrate
from services.kernel import database
from tests.e2e.stack import Stack, running_stack


@pytest.fixture(scope="package")
def stack(
    database_url: str, auth_settings: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    auth = {k: str(v) for k, v in auth_settings.items() if k != "log_format"}
    with running_stack(database_url, auth, tmp_path_factory.mktemp("stack-logs")) as stack:
        yield stack


@pytest.fixture
async def client(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the gateway, as the intranet frontend and integrations call it."""
    async with httpx.AsyncClient(base_url=stack.gateway, timeout=10) as client:
        yield client


@pytest.fixture
async def isolated_database(server_url: str) -> AsyncIterator[tuple[str, AsyncEngine]]:
    """A migrated database of this test's own, for processes whose consumers must not share the event
    bus with the package's stack (its services would take their events)."""
    name = f"ledelse_iso_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(database.libpq_dsn(server_url))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    await _migrate(url)
    engine = database.create_engine(url, application_name="tests-isolated", pool_size=2, max_overflow=5)
    try:
        yield url, engine
    finally:
        await engine.dispose()
        admin = await asyncpg.connect(database.libpq_dsn(server_url))
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()
