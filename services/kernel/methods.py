"""Which methods a path takes, said the same way by OPTIONS and by a 405 (RFC 9110 `Allow`).

Starlette answers a method a path does not take with the methods of the first route whose path matched,
and OPTIONS the same way, so `/offerings` said `Allow: GET` although it takes POST too. Here every route
is asked, through the routing's own `matches`, whether it would take each method at that path.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def allowed_methods(routes: Sequence[BaseRoute], scope: Scope) -> list[str]:
    """The methods some route takes at the request's path, in a fixed order, OPTIONS included; [] when
    no route has the path."""
    taken = [
        method
        for method in _METHODS
        if any(route.matches({**scope, "method": method})[0] is Match.FULL for route in routes)
    ]
    return [*taken, "OPTIONS"] if taken else []


class AllowedMethodsMiddleware:
    """OPTIONS answers 204 with `Allow` listing every method of the path; a 405 lists them all too. A CORS
    preflight (OPTIONS with `Access-Control-Request-Method`) is left to the CORS handling."""

    def __init__(self, app: ASGIApp, *, routes: Callable[[], Sequence[BaseRoute]]) -> None:
        self.app = app
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        preflight = any(name == b"access-control-request-method" for name, _ in scope["headers"])
        if scope["method"] == "OPTIONS" and not preflight:
            allowed = allowed_methods(self.routes(), scope)
            if allowed:
                await send(
                    {
                        "type": "http.response.start",
                        "status": 204,
                        "headers": [(b"allow", ", ".join(allowed).encode())],
                    }
                )
                await send({"type": "http.response.body", "body": b""})
                return

        async def listing_all(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 405:
                allowed = ", ".join(allowed_methods(self.routes(), scope)).encode()
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"allow"]
                message = {**message, "headers": [*headers, (b"allow", allowed)]}
            await send(message)

        await self.app(scope, receive, listing_all)
