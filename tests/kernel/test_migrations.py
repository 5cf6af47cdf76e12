"""Migrations: every schema reaches head, matches its models, and runs safely from several replicas."""

from __future__ import annotations

import asyncio
import warnings
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel

import services.catalog.models
import services.enrollment.models
import services.feedback.models  # noqa: F401
from services.kernel import database, migrations
from services.kernel.eventbus.tables import metadata as eventbus_metadata
from services.registry import MIGRATION_SETS, SERVICES


def _diff(connection: Connection, metadata: MetaData, schema: str) -> list[Any]:
    context = MigrationContext.configure(
        connection,
        opts={
            "include_schemas": True,
            "include_name": lambda name, type_, parents: (
                name == schema if type_ == "schema" else name != migrations.VERSION_TABLE
            ),
            "include_object": lambda obj, name, type_, reflected, compare_to: (
                getattr(obj, "schema", schema) == schema if type_ == "table" else True
            ),
            "compare_type": True,
        },
    )
    return [d for d in compare_metadata(context, metadata) if not _is_xid8_noise(d)]


def _is_xid8_noise(difference: Any) -> bool:
    """Alembic cannot reflect xid8; its columns are declared by hand in both places."""
    return isinstance(difference, list) and any("xid" in str(part) for part in difference[0])


@pytest.mark.parametrize("schema", [s.schema for s in MIGRATION_SETS if s.schema != "eventbus"])
async def test_models_match_migrations(engine: AsyncEngine, schema: str) -> None:
    async with engine.connect() as conn:
        with warnings.catch_warnings():
            # "Did not recognize type 'xid8'": the completions feed carries the same fence as the bus.
            warnings.filterwarnings("ignore", "Did not recognize type 'xid8'")
            differences = await conn.run_sync(_diff, SQLModel.metadata, schema)
    assert differences == []


async def test_eventbus_tables_match_their_migration(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "Did not recognize type 'xid8'")
            differences = await conn.run_sync(_diff, eventbus_metadata, "eventbus")
    assert differences == []


async def test_every_schema_is_at_head_with_its_version_table_inside_it(engine: AsyncEngine) -> None:
    assert await migrations.at_head(engine, *MIGRATION_SETS)
    async with engine.connect() as conn:
        tables = (
            (
                await conn.execute(
                    text("SELECT table_schema FROM information_schema.tables WHERE table_name = :name"),
                    {"name": migrations.VERSION_TABLE},
                )
            )
            .scalars()
            .all()
        )
    assert sorted(tables) == sorted(s.schema for s in MIGRATION_SETS)
    assert {s.name for s in SERVICES} <= set(tables)


async def test_concurrent_migrations_from_several_replicas(server_url: str) -> None:
    """Three replicas start at once against an empty database: each revision runs exactly once."""
    import uuid

    import asyncpg
    from sqlalchemy.engine import make_url

    name = f"ledelse_migrate_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(database.libpq_dsn(server_url))
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    engines = [database.create_engine(url, application_name=f"replica-{i}") for i in range(3)]
    try:
        await asyncio.gather(*(migrations.upgrade(engine, *MIGRATION_SETS) for engine in engines))
        assert await migrations.at_head(engines[0], *MIGRATION_SETS)
        async with engines[0].connect() as conn:
            kinds = (await conn.execute(text("SELECT count(*) FROM catalog.offering_kinds"))).scalar_one()
        assert kinds == 6  # seeded once, not three times
    finally:
        for engine in engines:
            await engine.dispose()
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await admin.close()
