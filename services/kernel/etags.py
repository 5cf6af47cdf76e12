"""Entity tags: conditional reads (`If-None-Match` -> 304) and optimistic concurrency (`If-Match` -> 412).

Versioned resources use a strong tag derived from their version (`"v7"`); lists and other computed
representations use a hash of the body. A versioned representation that also says something about its
reader (may they enroll?) carries that as a variant after the version (`"v7.3f2a9c01"`): If-None-Match
compares the whole tag, so a reader whose standing changed gets the new answer, while If-Match compares
the version only, so any reader's tag of the version being edited is current. Writes to a versioned
resource require `If-Match`, so one coordinator never silently overwrites another's change (428 when it
is missing).
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson
from fastapi import Request
from fastapi.responses import JSONResponse, Response

from services.kernel.problems import Problem


class PreconditionFailed(Problem):
    status = 412
    slug = "stale-etag"
    title = "The resource has changed"


class PreconditionRequired(Problem):
    status = 428
    slug = "if-match-required"
    title = "If-Match is required"


def version_etag(version: int, variant: Any = None) -> str:
    """`"v7"`; with `variant` (JSON about the reader) `"v7.<digest of it>"`."""
    if variant is None:
        return f'"v{version}"'
    return f'"v{version}.{hashlib.sha256(orjson.dumps(variant)).hexdigest()[:8]}"'


def _same_version(tag: str, current: str) -> bool:
    return tag == current or tag.startswith(current[:-1] + ".")


def body_etag(body: bytes) -> str:
    return f'"{hashlib.sha256(body).hexdigest()[:32]}"'


def _listed(header: str) -> list[str]:
    return [tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()]


def require_if_match(request: Request, current: str, *, required: bool = True) -> None:
    """Refuse a write unless `If-Match` names the current tag, with any variant (or `*`).

    With `required=False` (state transitions such as publish) a missing header is accepted, but a stale
    one is still refused.
    """
    header = request.headers.get("if-match")
    if header is None:
        if not required:
            return
        raise PreconditionRequired("Send If-Match with the ETag of the version you edited.")
    tags = _listed(header)
    if "*" not in tags and not any(_same_version(tag, current) for tag in tags):
        raise PreconditionFailed(
            "Someone changed this since you read it; fetch it again and reapply your change.",
            extra={"current_etag": current},
        )


def client_has(request: Request, tag: str) -> bool:
    """True when If-None-Match names `tag` (or `*`): the client's copy is current."""
    listed = _listed(request.headers.get("if-none-match", ""))
    return tag in listed or "*" in listed


def conditional(request: Request, response: Response, *, etag: str | None = None) -> Response:
    """`response` with an ETag, or 304 when the client already holds this representation."""
    tag = etag or body_etag(bytes(response.body))
    if client_has(request, tag):
        return Response(status_code=304, headers={"ETag": tag})
    response.headers["ETag"] = tag
    return response


def conditional_json(request: Request, content: Any, *, etag: str | None = None) -> Response:
    return conditional(request, JSONResponse(content), etag=etag)


def conditional_orjson(request: Request, content: Any) -> Response:
    """`conditional_json` serialised with orjson (much faster than the standard library on a page of
    listings; the same JSON for the str, int, bool, list and dict content the listings give it,
    and for aware datetimes: `2026-09-14T09:00:00+02:00`, as `OsloDatetime` writes a time in Oslo)."""
    return conditional(request, Response(orjson.dumps(content), media_type="application/json"))
