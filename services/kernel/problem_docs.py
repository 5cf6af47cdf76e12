"""What the OpenAPI document says about problems: every error answer as `application/problem+json`, and
the answers the kernel itself may give declared on every operation (one description per status, each
problem type named once)."""

from __future__ import annotations

import copy
import re
from typing import Any

from fastapi import FastAPI

from services.kernel.links import declare_links
from services.kernel.problems import PROBLEM_MEDIA_TYPE, PROBLEM_TYPE_BASE, Forbidden, problem_type


def document_problem_media_type(app: FastAPI) -> None:
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
