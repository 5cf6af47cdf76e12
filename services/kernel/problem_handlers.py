"""The exception handlers that answer every error as an RFC 9457 problem document: a raised `Problem`,
a validation error, a routing error, a database error (503 while the database is away, 400 for a value
it cannot store, 409 for a concurrent conflict) and anything unexpected (500, logged with its
traceback). `install_problem_handlers` puts them, and the contract's declarations (`problem_docs`), on
an app."""

from __future__ import annotations

import logging
from http import HTTPStatus

import asyncpg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.kernel.problem_docs import document_problem_media_type
from services.kernel.problems import (
    BadRequestProblem,
    FieldError,
    Problem,
    ProblemResponse,
    TransactionConflict,
    problem_response,
    problem_type,
    response_for,
)
from services.kernel.unlinkable import described

log = logging.getLogger(__name__)


def validation_errors(exc: RequestValidationError) -> list[FieldError]:
    errors = []
    for error in exc.errors():
        loc = [part if isinstance(part, int) else str(part) for part in error.get("loc", ())]
        errors.append(FieldError(loc=loc, msg=str(error.get("msg", "")), type=str(error.get("type", ""))))
    return errors


async def _handle_problem(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, Problem)
    return response_for(exc, request.url.path)


async def _handle_validation(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, RequestValidationError)
    errors = validation_errors(exc)
    if any(error.type == "json_invalid" for error in errors):
        # Not JSON at all: a malformed request (400), as every operation documents, not a JSON document
        # whose fields fail validation (422).
        return problem_response(
            400,
            type_=problem_type(BadRequestProblem.slug),
            title=BadRequestProblem.title,
            detail="The body is not valid JSON.",
            instance=request.url.path,
            errors=[error for error in errors if error.type == "json_invalid"],
        )
    fields = ", ".join(".".join(str(p) for p in e.loc) for e in errors[:5])
    return problem_response(
        422,
        type_=problem_type("validation-error"),
        title="Request validation failed",
        detail=f"Invalid fields: {fields}" if fields else None,
        instance=request.url.path,
        errors=errors,
    )


async def _handle_http(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail: str | None = exc.detail if isinstance(exc.detail, str) else None
    if detail == HTTPStatus(exc.status_code).phrase:
        detail = None
    return problem_response(
        exc.status_code, detail=detail, instance=request.url.path, headers=exc.headers or None
    )


# SQLSTATE class 22 ("data exception"): a value from the request that PostgreSQL cannot store or compare
# (out of range, NUL character, invalid encoding...). That is the client's input, so 400, never 500.
_DATA_EXCEPTION_CLASS = "22"


# Deadlock detected, serialization failure: PostgreSQL rolled the whole transaction back, so nothing of it
# is kept and the same request a moment later will most likely pass. Requests are retried by
# `database.TransactionalRoute` first.
RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})


_UNIQUE_VIOLATION = "23505"


async def _handle_database_error(request: Request, exc: Exception) -> ProblemResponse:
    """SQLAlchemy's error (the driver's in `orig`) or the driver's own (`database.Reads`)."""
    sqlstate = getattr(exc.orig if isinstance(exc, DBAPIError) else exc, "sqlstate", None) or ""
    if sqlstate in RETRYABLE_SQLSTATES:
        log.warning("transaction aborted (SQLSTATE %s) on %s", sqlstate, described(request.scope))
        return await _handle_problem(
            request, TransactionConflict("Concurrent changes met; nothing was changed. Try again shortly.")
        )
    if sqlstate == _UNIQUE_VIOLATION:
        # Checked before writing, so only a concurrent request can have stored the same thing first.
        log.warning("unique violation on %s: %s", described(request.scope), exc)
        return problem_response(
            409,
            type_=problem_type("concurrent-conflict"),
            title="Conflicting concurrent change",
            detail="Another request stored the same thing at the same time; nothing was changed.",
            instance=request.url.path,
        )
    if not sqlstate.startswith(_DATA_EXCEPTION_CLASS):
        return await _handle_unexpected(request, exc)
    log.info("refused a value PostgreSQL cannot take (SQLSTATE %s) on %s", sqlstate, described(request.scope))
    return problem_response(
        400,
        type_=problem_type("invalid-value"),
        title="Invalid value",
        detail="A value in the request is out of range or contains characters that cannot be stored.",
        instance=request.url.path,
    )


# SQLSTATE classes and codes that mean "the database is not there right now", not "the request is wrong".
_UNAVAILABLE_SQLSTATES = ("08", "57P01", "57P02", "57P03", "53300")


def _raised_in_driver(exc: BaseException) -> bool:
    """An OSError from the database driver (a socket that is not there while PostgreSQL restarts)."""
    frame = exc.__traceback__
    while frame is not None:
        if "asyncpg" in frame.tb_frame.f_code.co_filename:
            return True
        frame = frame.tb_next
    return False


def database_unavailable(exc: BaseException) -> bool:
    """Whether an error (or what caused it) is the database being unreachable, restarting or full."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        # PoolTimeout: every connection of the pool stayed busy for the pool's timeout (an overload).
        if isinstance(current, ConnectionError | TimeoutError | PoolTimeout) or (
            isinstance(current, OSError) and _raised_in_driver(current)
        ):
            return True
        if isinstance(current, DBAPIError) and current.connection_invalidated:
            return True
        sqlstate = str(getattr(current, "sqlstate", None) or "")
        if sqlstate.startswith(_UNAVAILABLE_SQLSTATES):
            return True
        if type(current).__module__.startswith("asyncpg") and type(current).__name__ in {
            "ConnectionDoesNotExistError",
            "InterfaceError",
            "CannotConnectNowError",
            "ConnectionFailureError",
            # The driver found a connection left in the middle of an operation (seen while PostgreSQL
            # restarts under load): that connection is dropped, and the request may be tried again.
            "InternalClientError",
        }:
            return True
        current = current.__cause__ or current.__context__
    return False


async def _handle_unexpected(request: Request, exc: Exception) -> ProblemResponse:
    if database_unavailable(exc):
        # Not acknowledged: the client may try again shortly (a restart or failover under way); with an
        # Idempotency-Key a retry is safe even if the connection broke while committing.
        log.warning("database unavailable on %s %s: %s", request.method, described(request.scope), exc)
        return problem_response(
            503,
            type_=problem_type("database-unavailable"),
            title="Database unavailable",
            detail="The database cannot be reached just now; try again shortly.",
            instance=request.url.path,
            headers={"Retry-After": "2"},
        )
    log.exception("unhandled error on %s %s", request.method, described(request.scope))
    request_id = getattr(request.state, "request_id", None)
    return problem_response(
        500, request_id=request_id, title="Internal server error", instance=request.url.path
    )


async def _handle_os_error(request: Request, exc: Exception) -> ProblemResponse:
    if not database_unavailable(exc):
        raise exc
    return await _handle_unexpected(request, exc)


def install_problem_handlers(app: FastAPI) -> None:
    document_problem_media_type(app)
    app.add_exception_handler(Problem, _handle_problem)
    app.add_exception_handler(RequestValidationError, _handle_validation)
    app.add_exception_handler(StarletteHTTPException, _handle_http)
    app.add_exception_handler(DBAPIError, _handle_database_error)
    app.add_exception_handler(asyncpg.PostgresError, _handle_database_error)
    # Here rather than only under Exception: Starlette re-raises what reaches its catch-all handler after
    # answering, and uvicorn then closes the connection, so a client reusing it sees a reset instead of
    # the 503 (a connection attempt while PostgreSQL restarts raises a bare OSError from the driver).
    app.add_exception_handler(OSError, _handle_os_error)
    app.add_exception_handler(PoolTimeout, _handle_unexpected)  # likewise: 503 on a connection kept open
    # The driver's own errors about the connection (not the statement): likewise.
    app.add_exception_handler(asyncpg.InterfaceError, _handle_unexpected)
    app.add_exception_handler(asyncpg.exceptions._base.InternalClientError, _handle_unexpected)
    app.add_exception_handler(Exception, _handle_unexpected)
