"""Database engine and sessions: created in a service's lifespan, one transaction per request.

`session_dependency` yields an `AsyncSession` whose transaction commits when the endpoint returns and
rolls back when it raises; services and repositories only `flush()`. That is what makes "business write
plus outgoing event in one transaction" the natural shape of every write.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterable
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import MetaData, any_, literal
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

# One naming convention for every constraint, so migrations name things predictably.
NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def uuid_in(column: Any, ids: Iterable[uuid.UUID]) -> Any:
    """`column = ANY(:ids)` with the ids as one array parameter.

    `column.in_(ids)` binds one parameter per id, and asyncpg refuses a statement with more than 32,767:
    an HR sync of 60,000 people reaches that. Use this wherever the number of ids is not bounded.
    """
    return column == any_(literal(list(ids), ARRAY(UUID(as_uuid=True))))


def schema_metadata(schema: str) -> MetaData:
    """A MetaData for one service's schema with the house naming convention."""
    return MetaData(schema=schema, naming_convention=NAMING_CONVENTION)


def async_url(database_url: str) -> URL:
    """Accept `postgresql://` (as ops and libpq write it) and use the asyncpg driver."""
    url = make_url(database_url)
    if url.drivername in {"postgresql", "postgres", "postgresql+psycopg", "postgresql+psycopg2"}:
        url = url.set(drivername="postgresql+asyncpg")
    return url


def libpq_dsn(database_url: str) -> str:
    """The same database as a plain DSN for asyncpg.connect (listening connections, admin work)."""
    url = make_url(database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def create_engine(
    database_url: str,
    *,
    application_name: str,
    pool_size: int = 10,
    max_overflow: int = 5,
    connect_timeout: float = 5.0,
    statement_timeout_ms: int = 15_000,
    idle_in_transaction_timeout_ms: int = 30_000,
) -> AsyncEngine:
    """An engine whose connections name the service and bound how long a statement or idle transaction lives.

    The idle-in-transaction bound matters for the event bus: a writing transaction left open delays every
    consumer (see services.kernel.eventbus).
    """
    server_settings: dict[str, Any] = {
        "application_name": application_name,
        "statement_timeout": str(statement_timeout_ms),
        "idle_in_transaction_session_timeout": str(idle_in_transaction_timeout_ms),
        "timezone": "UTC",
    }
    return create_async_engine(
        async_url(database_url),
        pool_size=pool_size,
        max_overflow=max_overflow,
        # No ping before each checkout (a round trip on every request: a tenth of the catalogue listing's
        # time). A connection that died with the server fails its first statement instead; SQLAlchemy then
        # invalidates the whole pool, that one request gets 503 `database-unavailable` (problems.py), and
        # the next checkout connects afresh (tests/e2e/test_faults.py restarts PostgreSQL under load).
        pool_pre_ping=False,
        connect_args={"server_settings": server_settings, "timeout": connect_timeout},
    )


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


async def session_dependency(request: Request) -> AsyncIterator[AsyncSession]:
    """One transaction per request: commit on success, roll back on any error."""
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    async with sessionmaker() as session, session.begin():
        yield session


SessionDep = Annotated[AsyncSession, Depends(session_dependency)]


async def read_session_dependency(request: Request) -> AsyncIterator[AsyncSession]:
    """A session for an endpoint that only reads with one statement: autocommit, so no BEGIN and COMMIT
    round trips (two of three on the catalogue listing). One statement sees one snapshot by itself; an
    endpoint reading with several statements that must agree uses `SessionDep`."""
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    async with sessionmaker() as session:
        await session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        yield session


ReadSessionDep = Annotated[AsyncSession, Depends(read_session_dependency)]
