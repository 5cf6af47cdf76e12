"""Requests that must leave no trace outside the database: an anonymous ballot.

A route marked `openapi_extra=UNLINKABLE` (which also documents it as needing no sign-in) is, in every
process it passes (the gateway and the service):

- not written to the access log (`AccessLogFilter` on uvicorn's access logger);
- given no request id, and none echoed;
- not counted or timed in `/metrics` (a live count of ballots would tell when someone answered);
- not traced: no span, no trace id, and instrumentation (SQL, outgoing calls) suppressed while it runs.

Paths are matched against the registered templates (`register_routes`, `register`), since the access
log and the outer middleware see the path before (or without) routing.

A route marked `openapi_extra` `x-secret-url` (a personal calendar feed: the secret in its address is the
key) is logged, but under its template (`/calendar-feeds/{secret}/calendar.ics`): the secret, stored only
as a hash, is not written to any log either.
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
_secret_paths: dict[re.Pattern[str], str] = {}


def template_pattern(template: str) -> re.Pattern[str]:
    """`/surveys/{survey_id}/ballots` as a pattern any value of its parameters matches."""
    parts = re.split(r"(\{[^}]+\})", template)
    return re.compile("".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts if p))


def register(*templates: str) -> None:
    _patterns.update(template_pattern(t) for t in templates)


def register_secret(*templates: str) -> None:
    _secret_paths.update({template_pattern(t): t for t in templates})


def _marked(routes: Iterable[BaseRoute], prefix: str, marker: str) -> list[str]:
    return [
        prefix + route.path
        for route in routes
        if isinstance(route, Route) and (getattr(route, "openapi_extra", None) or {}).get(marker)
    ]


def register_routes(routes: Iterable[BaseRoute], prefix: str = "") -> list[str]:
    """Register the routes marked unlinkable (under `prefix`), and those with a secret in their address;
    the unlinkable ones' templates."""
    marked = _marked(routes, prefix, "x-unlinkable")
    register(*marked)
    register_secret(*_marked(routes, prefix, "x-secret-url"))
    return marked


def loggable_path(path: str) -> str:
    """The path as logs may show it: a secret address as its template."""
    for pattern, template in _secret_paths.items():
        if pattern.fullmatch(path):
            return template
    return path


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
            path = args[2].split("?", 1)[0]
            if is_unlinkable_path(path):
                return False
            shown = loggable_path(path)
            if shown != path:
                record.args = (*args[:2], shown, *args[3:])
        return True


def described(scope: Scope) -> str:
    """The request's path for a log line; an unlinkable request is not named (nor is its survey)."""
    return "an unlinkable request" if is_unlinkable(scope) else loggable_path(str(scope.get("path", "")))
