"""Request ids and W3C trace context, kept in context variables.

The request id is taken from `X-Request-ID` when well-formed, generated otherwise, and echoed on the
response. The trace context follows W3C Trace Context: a valid incoming `traceparent` keeps its trace
id and this process gets a span of its own under it; without one a new trace begins. Both are logged
with every record, passed upstream by the gateway (as `X-Request-ID` and `traceparent`), stored in
every event published while handling the request, and restored while a consumer handles that event
(in a new span of the same trace).
"""

from __future__ import annotations

import re
import secrets
import uuid
from contextvars import ContextVar

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID_HEADER = "x-request-id"
# Printable, no spaces or separators that could forge log lines; long enough for W3C trace ids.
_VALID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")

_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
_traceparent: ContextVar[str | None] = ContextVar("traceparent", default=None)
_TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")


def current_request_id() -> str | None:
    return _request_id.get()


def set_request_id(value: str | None) -> None:
    _request_id.set(value)


def current_traceparent() -> str | None:
    return _traceparent.get()


def current_trace_id() -> str | None:
    value = _traceparent.get()
    return value[3:35] if value else None


def continue_trace(incoming: str | None) -> str:
    """This hop's `traceparent`: the incoming trace with a new span id, or a new trace."""
    match = _TRACEPARENT.match(incoming or "")
    trace_id, flags = (match.group(1), match.group(3)) if match else (secrets.token_hex(16), "01")
    if trace_id == "0" * 32:
        trace_id = secrets.token_hex(16)
    return f"00-{trace_id}-{secrets.token_hex(8)}-{flags}"


def set_traceparent(value: str | None) -> None:
    _traceparent.set(value)


def new_request_id() -> str:
    return uuid.uuid4().hex


def accept_request_id(candidate: str | None) -> str:
    """The client's id when it is safe to log and forward, a new one otherwise."""
    if candidate and _VALID.match(candidate):
        return candidate
    return new_request_id()


class RequestIdMiddleware:
    """Pure ASGI middleware (no BaseHTTPMiddleware: it would buffer streaming bodies)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = parent = None
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                incoming = value.decode("latin-1")
            elif name == b"traceparent":
                parent = value.decode("latin-1").strip().lower()
        request_id = accept_request_id(incoming)
        token = _request_id.set(request_id)
        trace = _traceparent.set(continue_trace(parent))
        # Also on the scope: the last-resort 500 handler runs outside this middleware's context.
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["X-Request-ID"] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            _request_id.reset(token)
            _traceparent.reset(trace)
