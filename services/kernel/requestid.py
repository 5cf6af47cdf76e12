"""Request ids, kept in a context variable.

The request id is taken from `X-Request-ID` when well-formed, generated otherwise, and echoed on the
response. It is logged with every record, passed upstream by the gateway, stored in every event
published while handling the request, and restored while a consumer handles that event. The trace
context beside it is OpenTelemetry's (`telemetry.py`).
"""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.kernel.unlinkable import is_unlinkable

REQUEST_ID_HEADER = "x-request-id"
# Printable, no spaces or separators that could forge log lines; long enough for W3C trace ids.
_VALID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")

_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)


def current_request_id() -> str | None:
    return _request_id.get()


def set_request_id(value: str | None) -> None:
    _request_id.set(value)


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
        if is_unlinkable(scope):
            # Nothing to correlate it by: no id in the context, none sent back.
            token = _request_id.set(None)
            try:
                await self.app(scope, receive, send)
            finally:
                _request_id.reset(token)
            return
        incoming = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"x-request-id"), None)
        request_id = accept_request_id(incoming)
        token = _request_id.set(request_id)
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
