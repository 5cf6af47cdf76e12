"""Database engine and sessions: created in a service's lifespan, one transaction per request.

`SessionDep` gives an endpoint an `AsyncSession`; services and repositories only `flush()`. Every route
of every service is a `TransactionalRoute`, which commits the request's transaction after the endpoint
has built its response and before the first byte of it is sent (a 2xx means committed), rolls it back
when the endpoint raises, and runs the request again when PostgreSQL broke a deadlock or a serialization
conflict by aborting it (see `TransactionalRoute`). That is what makes "business write plus outgoing
event in one transaction" the natural shape of every write.
"""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine, Iterable, Mapping
from typing import Annotated, Any, NamedTuple

import asyncpg
from fastapi import Depends, Request, Response
from fastapi.routing import APIRoute
from sqlalchemy import MetaData, TextClause, any_, literal
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import PoolProxiedConnection
from sqlalchemy.util import greenlet_spawn

from services.kernel.problem_handlers import RETRYABLE_SQLSTATES
from services.kernel.problems import TransactionConflict
from services.kernel.unlinkable import described

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
        # No ping before each checkout (a round trip on every request, a visible share of the catalogue
        # listing's time). A connection that died with the server fails its first statement instead;
        # SQLAlchemy then invalidates the whole pool, that one request gets 503 `database-unavailable`
        # (problem_handlers.py), and the next checkout connects afresh (tests/e2e/test_faults.py restarts
        # PostgreSQL under load).
        pool_pre_ping=False,
        connect_args={"server_settings": server_settings, "timeout": connect_timeout},
    )


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


log = logging.getLogger(__name__)

# Where a request keeps the sessions its endpoint opened, for `TransactionalRoute` to commit.
_REQUEST_SESSIONS = "kernel.request_sessions"
# Attempts of one request before it is answered 503 (`TransactionConflict`), and the base of the
# pause between them (`pause_before_retry`).
MAX_ATTEMPTS = 4
RETRY_BASE_SECONDS = 0.01


async def session_dependency(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's session. `TransactionalRoute` commits it before the response is sent; it is closed
    (rolling back whatever was not committed) when the request ends.

    The commit is deliberately not here, after the `yield`: FastAPI runs that code only after the
    response has been sent, so a client could act on a 2xx whose write is not yet visible, or was lost
    with the process."""
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    async with sessionmaker() as session:
        request.scope.setdefault(_REQUEST_SESSIONS, []).append(session)
        yield session


SessionDep = Annotated[AsyncSession, Depends(session_dependency)]


async def pause_before_retry(attempt: int) -> None:
    """The pause before attempt `attempt + 1`: growing, and jittered so that two victims of one deadlock
    do not meet again in step."""
    await asyncio.sleep(RETRY_BASE_SECONDS * attempt * (1 + random.random()))  # noqa: S311 (jitter)


def retryable(exc: BaseException) -> bool:
    """A deadlock or serialization failure: PostgreSQL aborted the transaction, nothing of it is kept."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, DBAPIError):
            current = current.orig
            continue
        if str(getattr(current, "sqlstate", "") or "") in RETRYABLE_SQLSTATES:
            return True
        current = current.__cause__
    return False


class TransactionalRoute(APIRoute):
    """A route whose request transaction commits before its response leaves (every service's routes).

    - The endpoint runs and its response is built; then every session the request opened commits; only
      then is the response handed to the server. A commit that fails answers as that error does (503
      `database-unavailable` when the connection broke), never as the 2xx that was built.
    - An endpoint that raises has its sessions rolled back; the error answers as usual.
    - A deadlock or serialization failure aborted the whole transaction in PostgreSQL, so the request is
      run again from the start on a fresh transaction, up to `MAX_ATTEMPTS` times; then 503
      `transaction-conflict` with `Retry-After`. Nothing else is retried: an error whose outcome is
      unknown (the connection broke while committing) must not be applied twice.

    Endpoints keep their side effects inside the request's transaction, which is what makes the retry
    safe; the one that claims an `Idempotency-Key` in a transaction of its own gives the claim back when
    it raises, so its retry claims afresh.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            attempt = 1
            while True:
                try:
                    response = await handler(request)
                    await _end_request_sessions(request, commit=True)
                    return response
                except Exception as exc:  # a cancelled request's session is rolled back when it closes
                    await _end_request_sessions(request, commit=False)
                    if not retryable(exc):
                        raise
                    if attempt >= MAX_ATTEMPTS:
                        raise TransactionConflict(
                            "The request met concurrent changes it could not be ordered with; "
                            "nothing was changed. Try again shortly."
                        ) from exc
                    log.info(
                        "retrying %s %s after %s", request.method, described(request.scope), _sqlstate(exc)
                    )
                    await pause_before_retry(attempt)
                    attempt += 1

        return handle


def _sqlstate(exc: BaseException) -> str:
    return str(getattr(getattr(exc, "orig", exc), "sqlstate", "") or type(exc).__name__)


async def _end_request_sessions(request: Request, *, commit: bool) -> None:
    """Commit (or roll back) what the request's sessions hold; a session is done with afterwards, so a
    retry of the request opens a new one."""
    sessions: list[AsyncSession] = request.scope.pop(_REQUEST_SESSIONS, [])
    for index, session in enumerate(sessions):
        if not commit:
            await session.rollback()
            continue
        try:
            await session.commit()
        except Exception:
            for later in sessions[index:]:
                await later.rollback()
            raise


class DriverStatement(NamedTuple):
    """A statement as the driver takes it: SQL with `$n` placeholders, and the parameter names in order."""

    sql: str
    names: tuple[str, ...]

    @classmethod
    def of(cls, statement: TextClause) -> DriverStatement:
        """Compiled as SQLAlchemy itself would send it over asyncpg (the same SQL, casts included)."""
        compiled = statement.compile(dialect=_DRIVER_DIALECT)
        return cls(compiled.string, tuple(compiled.positiontup or ()))


_DRIVER_DIALECT = PGDialect_asyncpg()  # type: ignore[no-untyped-call]  # SQLAlchemy's own, untyped
# Pooled connections found closed at checkout before a new one is opened instead (PostgreSQL restarted:
# every idle connection of the pool is closed; the pool's size plus overflow is far below this).
_MAX_STALE_CHECKOUTS = 64
# SQLSTATE classes of errors that end the connection: connection exception, operator intervention
# (administrator shutdown, crash shutdown, cannot connect now).
_CONNECTION_SQLSTATES = ("08", "57P")


class Reads:
    """Reads of one statement each, on asyncpg's own connection taken from the engine's pool.

    Only for the hottest reads (the catalogue listing, an enrollment's lock-free read): there SQLAlchemy's
    session, execution and result layers cost more Python time than PostgreSQL spends on the query
    (bench/README.md). What a session would give is kept: the same pool, the same SQL (`DriverStatement`
    compiles SQLAlchemy's statement), the same error answers (`problem_handlers.py` maps the driver's
    errors), and no transaction, like an autocommit session: each statement sees one snapshot of its own,
    so an endpoint whose statements must agree uses `SessionDep`. Parameters go to the driver as they are
    (str, int, float, bool, datetime, UUID and lists of them); rows are asyncpg records, by position or
    name.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def fetch(self, statement: DriverStatement, params: Mapping[str, Any]) -> list[Any]:
        pooled = await self._checkout()
        driver = _driver(pooled)
        broken = False
        try:
            rows: list[Any] = await driver.fetch(statement.sql, *[params[name] for name in statement.names])
        except asyncpg.PostgresError as exc:  # the statement's error leaves the connection usable...
            broken = str(exc.sqlstate).startswith(_CONNECTION_SQLSTATES)  # ...unless it is the connection's
            raise
        except BaseException:  # cancelled, or cut off in the middle: the connection's state is unknown
            broken = True
            raise
        finally:
            if broken or driver.is_closed():
                pooled.invalidate()  # closed at once, never handed out again
            else:
                # Back to the pool in SQLAlchemy's greenlet: returning an overflow connection closes it, and
                # closing awaits the driver.
                await greenlet_spawn(pooled.close)
        return rows

    async def _checkout(self) -> PoolProxiedConnection:
        """A pooled connection that is still open. The pool does not ping (`create_engine`); a connection
        whose server went away is closed on the driver's side by the time it is taken, so it is dropped
        and the next one taken, and the request does not fail for it."""
        for _ in range(_MAX_STALE_CHECKOUTS):
            pooled = await self._engine.raw_connection()
            if not _driver(pooled).is_closed():
                return pooled
            pooled.invalidate()
        return await self._engine.raw_connection()


def _driver(pooled: PoolProxiedConnection) -> Any:
    """The asyncpg connection of a checked-out pooled connection."""
    return pooled.driver_connection


async def reads_dependency(request: Request) -> Reads:
    return Reads(request.app.state.engine)


ReadsDep = Annotated[Reads, Depends(reads_dependency)]
