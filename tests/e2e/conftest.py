"""Fixtures for end-to-end tests: the real processes, started once for the whole e2e package."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from devtools.stack import Stack, running_stack
from services.kernel import database
from tests.support import fresh_database


@pytest.fixture(scope="package")
def stack(
    database_url: str, process_auth: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    with running_stack(database_url, process_auth, tmp_path_factory.mktemp("stack-logs")) as stack:
        yield stack


@pytest.fixture
async def client(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the gateway, as the intranet frontend and integrations call it."""
    async with httpx.AsyncClient(base_url=stack.gateway, timeout=10) as client:
        yield client


@pytest.fixture(scope="session")
def process_auth(auth_settings: dict[str, Any]) -> dict[str, str]:
    """The sign-in settings as environment for service processes (they log JSON, as in production)."""
    return {k: str(v) for k, v in auth_settings.items() if k != "log_format"}


@pytest.fixture
async def isolated_database(server_url: str) -> AsyncIterator[tuple[str, AsyncEngine]]:
    """A migrated database of this test's own, for processes whose consumers must not share the event
    bus with the package's stack (its services would take their events)."""
    async with fresh_database(server_url, "ledelse_iso") as url:
        engine = database.create_engine(url, application_name="tests-isolated", pool_size=2, max_overflow=5)
        try:
            yield url, engine
        finally:
            await engine.dispose()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test here starts the real processes: `slow`, left out of `make check`."""
    here = Path(__file__).parent
    for item in items:
        if item.path.is_relative_to(here):
            item.add_marker(pytest.mark.slow)
