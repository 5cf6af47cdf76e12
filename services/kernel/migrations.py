"""Alembic, run programmatically: one history per schema, version table inside that schema.

A service migrates the event-bus schema and then its own on start (or `make migrate` does it for all).
Concurrent starts of several replicas serialise on an advisory lock, so each revision runs once.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from alembic import command, context
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, pool, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, async_engine_from_config
from sqlmodel.sql.sqltypes import AutoString

log = logging.getLogger(__name__)

VERSION_TABLE = "alembic_version"
_MIGRATION_LOCK_KEY = 0x4C454D49  # arbitrary, constant: "LEMI"


@dataclass(frozen=True)
class MigrationSet:
    """One Alembic history: the schema it owns and the folder holding env.py and versions/."""

    schema: str
    directory: Path

    def config(self, database_url: str | None = None) -> Config:
        cfg = Config()
        cfg.set_main_option("script_location", str(self.directory))
        cfg.set_main_option("path_separator", "os")
        if database_url:
            cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
        cfg.attributes["schema"] = self.schema
        return cfg

    def heads(self) -> set[str]:
        return _script_heads(self.directory)


@functools.cache
def _script_heads(directory: Path) -> set[str]:
    cfg = Config()
    cfg.set_main_option("script_location", str(directory))
    cfg.set_main_option("path_separator", "os")
    return set(ScriptDirectory.from_config(cfg).get_heads())


def _include_name(schema: str) -> Any:
    def include(name: str | None, type_: str, parent_names: Any) -> bool:
        if type_ == "schema":
            return name == schema
        return True

    return include


def _include_object(schema: str) -> Any:
    def include(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        if type_ == "table":
            return bool(getattr(obj, "schema", None) == schema)
        return True

    return include


def _render_item(type_: str, obj: Any, autogen_context: Any) -> str | Literal[False]:
    """Render SQLModel's AutoString as plain `sa.String`, so migrations do not import sqlmodel."""
    if type_ == "type" and isinstance(obj, AutoString):
        return f"sa.String(length={obj.length})" if obj.length else "sa.String()"
    return False


def _configure_and_run(connection: Connection, target_metadata: MetaData | None, schema: str) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        version_table=VERSION_TABLE,
        version_table_schema=schema,
        include_schemas=True,
        include_name=_include_name(schema),
        include_object=_include_object(schema),
        compare_type=True,
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_env(target_metadata: MetaData | None) -> None:
    """Body of every env.py: use the connection handed over by `upgrade`, or open one (alembic CLI)."""
    cfg = context.config
    schema = cfg.attributes.get("schema") or cfg.get_main_option("schema")
    assert schema, "migration set has no schema"
    connection: Connection | None = cfg.attributes.get("connection")
    if connection is not None:
        _configure_and_run(connection, target_metadata, schema)
        return

    import asyncio

    from services.kernel.database import async_url

    url = cfg.get_main_option("sqlalchemy.url")
    assert url, "set sqlalchemy.url or DATABASE_URL"

    async def run_async() -> None:
        engine: AsyncEngine = async_engine_from_config(
            {"sqlalchemy.url": async_url(url).render_as_string(hide_password=False)},
            prefix="sqlalchemy.",
            poolclass=pool.NullPool,
        )
        async with engine.begin() as conn:
            await conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
            await conn.run_sync(_configure_and_run, target_metadata, schema)
        await engine.dispose()

    asyncio.run(run_async())


def _upgrade_sync(connection: Connection, sets: tuple[MigrationSet, ...]) -> None:
    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY})
    for migration_set in sets:
        connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{migration_set.schema}"'))
        cfg = migration_set.config()
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")


async def upgrade(engine: AsyncEngine, *sets: MigrationSet) -> None:
    """Bring every given schema to head, in order, in one transaction."""
    async with engine.begin() as conn:
        await conn.run_sync(_upgrade_sync, sets)
    log.info("migrations at head: %s", ", ".join(s.schema for s in sets))


async def at_head(engine: AsyncEngine, *sets: MigrationSet) -> bool:
    """True when every schema's recorded revision equals its script head."""
    async with engine.connect() as conn:
        for migration_set in sets:
            exists = await conn.scalar(
                text("SELECT to_regclass(:table) IS NOT NULL"),
                {"table": f"{migration_set.schema}.{VERSION_TABLE}"},
            )
            if not exists:
                return False
            rows = await conn.execute(
                text(f'SELECT version_num FROM "{migration_set.schema}".{VERSION_TABLE}')
            )
            if {row.version_num for row in rows} != migration_set.heads():
                return False
    return True
