"""RFC 9457 problem details: one error base class, the document every error is answered with, and the
declarations an endpoint lists its refusals with.

Business refusals raise a `Problem` subclass with a machine-readable `type`; validation, routing and
unexpected errors are converted by the handlers `problem_handlers.install_problem_handlers` installs, so
no response of any service leaves as anything but `application/problem+json`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any, ClassVar

from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from services.kernel.requestid import current_request_id

PROBLEM_MEDIA_TYPE = "application/problem+json"


PROBLEM_TYPE_BASE = "urn:problem:"


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


class IdentityNotAllowed(BadRequestProblem):
    slug = "identity-not-allowed"
    title = "A ballot is sent without sign-in"


def refuse_identity(headers: Mapping[str, str]) -> None:
    """An unlinkable request that says who sent it is refused rather than stripped, so a client that
    would link its user is noticed (by the gateway, and again by the service; `unlinkable.py`)."""
    if "authorization" in headers or "cookie" in headers:
        raise IdentityNotAllowed(
            "Send the ballot without Authorization or cookies: it must not say who you are."
        )
