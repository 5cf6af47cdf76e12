"""Fixtures for end-to-end tests: the real processes, started once for the whole e2e package."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

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
