"""Requests that must leave no trace outside the database: an anonymous ballot.

A route marked `openapi_extra=UNLINKABLE` (which also documents it as needing no sign-in) is, in every
process it passes (the gateway and the service):

- not written to the access log (`AccessLogFilter` on uvicorn's access logger);
- given no request id, and none echoed;
- not counted or timed in `/metrics` (a live count of ballots would tell when someone answered);
- not traced: no span, no trace id, and instrumentation (SQL, outgoing calls) suppressed while it runs.

Paths are matched against the registered templates (`register_routes`, `register`), since the access
log and the outer middleware see the path before (or without) routing.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any

from starlette.routing import BaseRoute, Route
from starlette.types import Scope

UNLINKABLE: dict[str, Any] = {"security": [], "x-unlinkable": True}

_patterns: set[re.Pattern[str]] = set()


def template_pattern(template: str) -> re.Pattern[str]:
    """`/surveys/{survey_id}/ballots` as a pattern any value of its parameters matches."""
    parts = re.split(r"(\{[^}]+\})", template)
    return re.compile("".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts if p))


def register(*templates: str) -> None:
    _patterns.update(template_pattern(t) for t in templates)


def register_routes(routes: Iterable[BaseRoute], prefix: str = "") -> list[str]:
    """Register the routes marked unlinkable (under `prefix`); their templates."""
    marked = [
        prefix + route.path
        for route in routes
        if isinstance(route, Route) and (getattr(route, "openapi_extra", None) or {}).get("x-unlinkable")
    ]
    register(*marked)
    return marked


def is_unlinkable_path(path: str) -> bool:
    return any(p.fullmatch(path) for p in _patterns)


def is_unlinkable(scope: Scope) -> bool:
    """Whether this HTTP request is one to leave no trace of (remembered on the scope)."""
    if "unlinkable" not in scope:
        scope["unlinkable"] = scope.get("type") == "http" and is_unlinkable_path(str(scope.get("path", "")))
    return bool(scope["unlinkable"])


class AccessLogFilter(logging.Filter):
    """Drops uvicorn's access-log record of an unlinkable request (its arguments: client address, method,
    path with query, HTTP version, status)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            return not is_unlinkable_path(args[2].split("?", 1)[0])
        return True


def described(scope: Scope) -> str:
    """The request's path for a log line; an unlinkable request is not named (nor is its survey)."""
    return "an unlinkable request" if is_unlinkable(scope) else str(scope.get("path", ""))
