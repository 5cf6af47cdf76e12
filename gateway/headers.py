"""Response headers every gateway answer carries, and request headers no client may set.

Authenticated answers (the request carried `Authorization`) get `Cache-Control: no-store`: nothing a
signed-in person was shown may sit in a shared or browser cache. Every answer gets `nosniff`, no
referrer, no framing, and outside the documentation pages a CSP that allows nothing to load (an API
answer is never a page); `Strict-Transport-Security` when `GATEWAY_HSTS_SECONDS` is set (behind TLS).

Identity headers a reverse proxy or platform might add (`X-User`, `X-MS-CLIENT-PRINCIPAL`, …) are
removed from requests before forwarding: a service knows the caller only from the verified token.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

IDENTITY_HEADERS = frozenset(
    {
        "x-user",
        "x-user-id",
        "x-user-roles",
        "x-roles",
        "x-principal",
        "x-remote-user",
        "remote-user",
        "x-forwarded-user",
        "x-forwarded-email",
        "x-forwarded-groups",
    }
)
IDENTITY_PREFIXES = ("x-ms-client-principal", "x-ms-token-", "x-auth-", "x-authenticated-", "x-consumer-")
DOCS_PREFIXES = (b"/docs", b"/redoc")
STRICT_CSP = "default-src 'none'; frame-ancestors 'none'"


def is_identity_header(name: str) -> bool:
    return name in IDENTITY_HEADERS or name.startswith(IDENTITY_PREFIXES)


class SecurityHeaders:
    """Pure ASGI middleware (streaming bodies pass untouched)."""

    def __init__(self, app: ASGIApp, *, hsts_seconds: int = 0) -> None:
        self.app = app
        self.hsts_seconds = hsts_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        authenticated = any(name == b"authorization" for name, _ in scope["headers"])
        path: bytes = scope.get("raw_path") or scope["path"].encode()
        docs = path.startswith(DOCS_PREFIXES)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["X-Content-Type-Options"] = "nosniff"
                headers["Referrer-Policy"] = "no-referrer"
                headers["X-Frame-Options"] = "DENY"
                if not docs:
                    headers["Content-Security-Policy"] = STRICT_CSP
                if authenticated:
                    headers["Cache-Control"] = "no-store"
                if self.hsts_seconds:
                    headers["Strict-Transport-Security"] = f"max-age={self.hsts_seconds}; includeSubDomains"
            await send(message)

        await self.app(scope, receive, send_with_headers)
