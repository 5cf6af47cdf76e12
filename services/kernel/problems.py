"""RFC 9457 problem details: one error base class and the handlers that render every error as one.

Business refusals raise a `Problem` subclass with a machine-readable `type`; validation, routing and
unexpected errors are converted by the handlers installed with `install_problem_handlers`, so no
response of any service leaves as anything but `application/problem+json`.
"""

from __future__ import annotations

import copy
import logging
import re
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any, ClassVar

import asyncpg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.kernel.links import declare_links
from services.kernel.requestid import current_request_id

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "urn:problem:"

log = logging.getLogger(__name__)


def problem_type(slug: str) -> str:
    """The `type` URI for a slug: stable, machine-readable, documented in docs/architecture.md."""
    return f"{PROBLEM_TYPE_BASE}{slug}"


class FieldError(BaseModel):
    """One offending field of a request: where it is, and what is wrong with it."""

    loc: list[str | int] = Field(description="Path to the field, e.g. ['body', 'capacity'].")
    msg: str
    type: str


class ProblemDetails(BaseModel):
    """An RFC 9457 problem document as every service and the gateway return it."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"additionalProperties": True})

    # Always sent (RFC 9457 lets it default to about:blank; here every answer names it), so a client can
    # rely on it.
    type: str = Field(description="URI identifying the kind of problem; `about:blank` for plain HTTP errors.")
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    request_id: str | None = Field(default=None, description="The X-Request-ID of the failing request.")
    errors: list[FieldError] | None = Field(default=None, description="Offending fields (validation only).")


class ProblemResponse(JSONResponse):
    media_type = PROBLEM_MEDIA_TYPE


class Problem(Exception):
    """Base of every error a service raises on purpose. Subclasses fix `status` and `slug`."""

    status: ClassVar[int] = 500
    slug: ClassVar[str] = "internal-error"
    title: ClassVar[str] = "Internal server error"

    def __init__(
        self,
        detail: str | None = None,
        *,
        extra: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        errors: Sequence[FieldError] | None = None,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail
        self.errors = errors
        self.extra = dict(extra or {})
        self.headers = dict(headers or {})

    @classmethod
    def openapi(cls) -> dict[str, Any]:
        """A `responses=` entry for routes that raise this problem."""
        return {"model": ProblemDetails, "description": f"{cls.title} (`{problem_type(cls.slug)}`)"}


def responses_for(*problems: type[Problem]) -> dict[int | str, dict[str, Any]]:
    """`responses=` entries for routes that raise these problems, several types under one status."""
    by_status: dict[int, list[type[Problem]]] = {}
    for problem in problems:
        by_status.setdefault(problem.status, []).append(problem)
    return {
        status: {
            "model": ProblemDetails,
            "description": "; ".join(f"{p.title} (`{problem_type(p.slug)}`)" for p in same),
        }
        for status, same in by_status.items()
    }


class BadRequestProblem(Problem):
    status = 400
    slug = "bad-request"
    title = "Bad request"


class Unauthorized(Problem):
    status = 401
    slug = "unauthorized"
    title = "Authentication required"

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})


class Forbidden(Problem):
    status = 403
    slug = "forbidden"
    title = "Forbidden"


class NotFound(Problem):
    status = 404
    slug = "not-found"
    title = "Not found"


class Conflict(Problem):
    status = 409
    slug = "conflict"
    title = "Conflict"


class ServiceUnavailable(Problem):
    status = 503
    slug = "service-unavailable"
    title = "Service unavailable"


class TransactionConflict(ServiceUnavailable):
    """A request PostgreSQL aborted (deadlock, serialization failure) again after the kernel's retries."""

    slug = "transaction-conflict"
    title = "Concurrent changes; try again"


# What a 503 tells the client to wait, in seconds, when the raiser does not say: every 503 carries one,
# so a client (and the gateway's breaker) never has to guess when to come back.
DEFAULT_RETRY_AFTER = "1"


class GatewayTimeout(Problem):
    status = 504
    slug = "upstream-timeout"
    title = "Upstream timeout"


def problem_response(
    status: int,
    *,
    request_id: str | None = None,
    type_: str = "about:blank",
    title: str | None = None,
    detail: str | None = None,
    instance: str | None = None,
    errors: Sequence[FieldError] | None = None,
    extra: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> ProblemResponse:
    """Render one problem document; the request id defaults to the current request's."""
    request_id = request_id or current_request_id()
    body = ProblemDetails(
        type=type_,
        title=title or HTTPStatus(status).phrase,
        status=status,
        detail=detail,
        instance=instance,
        request_id=request_id,
        errors=list(errors) if errors is not None else None,
        **dict(extra or {}),
    )
    response_headers = dict(headers or {})
    if status == 503 and not any(name.lower() == "retry-after" for name in response_headers):
        response_headers["Retry-After"] = DEFAULT_RETRY_AFTER
    if request_id:
        response_headers.setdefault("X-Request-ID", request_id)
    return ProblemResponse(
        body.model_dump(mode="json", exclude_none=True), status_code=status, headers=response_headers
    )


def _validation_errors(exc: RequestValidationError) -> list[FieldError]:
    errors = []
    for error in exc.errors():
        loc = [part if isinstance(part, int) else str(part) for part in error.get("loc", ())]
        errors.append(FieldError(loc=loc, msg=str(error.get("msg", "")), type=str(error.get("type", ""))))
    return errors


def response_for(problem: Problem, instance: str | None = None) -> ProblemResponse:
    """The problem document a raised `Problem` is answered with."""
    return problem_response(
        problem.status,
        type_=problem_type(problem.slug),
        title=problem.title,
        detail=problem.detail,
        instance=instance,
        errors=problem.errors,
        extra=problem.extra,
        headers=problem.headers,
    )


async def _handle_problem(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, Problem)
    return response_for(exc, request.url.path)


async def _handle_validation(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, RequestValidationError)
    errors = _validation_errors(exc)
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
        log.warning("transaction aborted (SQLSTATE %s) on %s", sqlstate, request.url.path)
        return await _handle_problem(
            request, TransactionConflict("Concurrent changes met; nothing was changed. Try again shortly.")
        )
    if sqlstate == _UNIQUE_VIOLATION:
        # Checked before writing, so only a concurrent request can have stored the same thing first.
        log.warning("unique violation on %s: %s", request.url.path, exc)
        return problem_response(
            409,
            type_=problem_type("concurrent-conflict"),
            title="Conflicting concurrent change",
            detail="Another request stored the same thing at the same time; nothing was changed.",
            instance=request.url.path,
        )
    if not sqlstate.startswith(_DATA_EXCEPTION_CLASS):
        return await _handle_unexpected(request, exc)
    log.info("refused a value PostgreSQL cannot take (SQLSTATE %s) on %s", sqlstate, request.url.path)
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
        log.warning("database unavailable on %s %s: %s", request.method, request.url.path, exc)
        return problem_response(
            503,
            type_=problem_type("database-unavailable"),
            title="Database unavailable",
            detail="The database cannot be reached just now; try again shortly.",
            instance=request.url.path,
            headers={"Retry-After": "2"},
        )
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    request_id = getattr(request.state, "request_id", None)
    return problem_response(
        500, request_id=request_id, title="Internal server error", instance=request.url.path
    )


async def _handle_os_error(request: Request, exc: Exception) -> ProblemResponse:
    if not database_unavailable(exc):
        raise exc
    return await _handle_unexpected(request, exc)


def _document_problem_media_type(app: FastAPI) -> None:
    """Error responses are documented as `application/problem+json`, which is what they are sent as (and
    what an operation creates is linked to the operations on it: `kernel.links`)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = generate()
        for item in document.get("paths", {}).values():
            for method, operation in item.items():
                _declare_forbidden(operation)
                _declare_invalid_cursor(operation)
                _declare_kernel_answers(operation, writes=method in {"post", "put", "patch", "delete"})
                for status, response in operation.get("responses", {}).items():
                    content = response.get("content", {})
                    if status[:1] in {"4", "5"} and "application/json" in content:
                        content[PROBLEM_MEDIA_TYPE] = content.pop("application/json")
        declare_links(document)
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]


# Answers any operation can give whatever its own code does (status, slug, title): the request's shape and
# size, and the database. The methods that write can also lose a race for a unique key.
_KERNEL_ANSWERS: tuple[tuple[int, str, str], ...] = (
    (400, "bad-request", "Bad request"),
    (400, "invalid-value", "Invalid value"),
    (413, "payload-too-large", "Request body too large"),
    (422, "validation-error", "Request validation failed"),
    (431, "headers-too-large", "Request headers too large"),
    (503, "database-unavailable", "Database unavailable"),
    (503, "transaction-conflict", "Concurrent changes; try again"),
)
_WRITING_ANSWERS = ((409, "concurrent-conflict", "Conflicting concurrent change"),)


def _declare_kernel_answers(operation: dict[str, Any], *, writes: bool) -> None:
    """Add the kernel's answers to an operation's own, under their statuses (an operation that declares
    its own 422 or 400 keeps it, and gains the kernel's beside it)."""
    if not isinstance(operation, dict) or "responses" not in operation:
        return
    for status, slug, title in (*_KERNEL_ANSWERS, *(_WRITING_ANSWERS if writes else ())):
        _declare(operation, status, f"{title} (`{problem_type(slug)}`)")


def declare_answer(responses: dict[str, Any], status: str, answer: dict[str, Any]) -> None:
    """`answer` under `status` beside what is declared there already: each problem type named once in the
    description, headers (such as Retry-After) kept from both. The services' documents and the gateway's
    merged one are built with it."""
    existing = responses.get(status)
    if existing is None:
        responses[status] = copy.deepcopy(answer)
        return
    named = _NAMED_TYPES.findall(answer.get("description", ""))
    if any(t not in existing.get("description", "") for t in named):
        existing["description"] = "; ".join(
            part for part in (existing.get("description"), answer["description"]) if part
        )
    if "headers" in answer:
        existing["headers"] = {**answer["headers"], **existing.get("headers", {})}


_NAMED_TYPES = re.compile(rf"`{re.escape(PROBLEM_TYPE_BASE)}[a-z0-9-]+`")


def _declare(operation: dict[str, Any], status: int, text: str) -> None:
    schema = {"$ref": "#/components/schemas/ProblemDetails"}
    answer = {"description": text, "content": {"application/json": {"schema": schema}}}
    declare_answer(operation["responses"], str(status), answer)


def _declare_forbidden(operation: dict[str, Any]) -> None:
    """An operation that needs a role (`x-required-roles`, `auth.tokens.declare_access`) answers 403
    `forbidden` to everyone else: declared from the same rule that enforces it."""
    roles = operation.get("x-required-roles") if isinstance(operation, dict) else None
    if not roles:
        return
    forbidden = f"{Forbidden.title} (`{problem_type(Forbidden.slug)}`): needs the role {' or '.join(roles)}"
    operation.setdefault("responses", {})
    _declare(operation, 403, forbidden)


def _declare_invalid_cursor(operation: dict[str, Any]) -> None:
    """A list that takes a `cursor` (`kernel.paging`) answers 400 `invalid-cursor` to one it did not
    give out: declared from the parameter that brings the check."""
    parameters = operation.get("parameters", []) if isinstance(operation, dict) else []
    if any(p.get("name") == "cursor" and p.get("in") == "query" for p in parameters):
        _declare(operation, 400, f"Invalid cursor (`{problem_type('invalid-cursor')}`)")


def install_problem_handlers(app: FastAPI) -> None:
    _document_problem_media_type(app)
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


COMMON_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {
        "model": ProblemDetails,
        "description": "Malformed request: a body that is not JSON, or a value PostgreSQL cannot store "
        "(`urn:problem:bad-request`, `urn:problem:invalid-value`)",
    },
    401: Unauthorized.openapi(),
    422: {
        "model": ProblemDetails,
        "description": "Request validation failed (`urn:problem:validation-error`)",
    },
}
