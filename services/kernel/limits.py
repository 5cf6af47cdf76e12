"""How much of a request a process reads: its headers together (431) and its body (413), as problems.

The gateway checks the same bounds before it forwards (`gateway.protection`); a service checks them again
itself, so a network-policy mistake that exposes a service directly does not expose it unbounded.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.kernel.problems import Problem, response_for


class PayloadTooLarge(Problem):
    status = 413
    slug = "payload-too-large"
    title = "Request body too large"


class HeadersTooLarge(Problem):
    status = 431
    slug = "headers-too-large"
    title = "Request headers too large"


def body_limit(path: str, default: int, by_prefix: Mapping[str, int]) -> int:
    """The limit for `path`: the longest matching prefix's, else `default`."""
    matches = [prefix for prefix in by_prefix if path.startswith(prefix)]
    return by_prefix[max(matches, key=len)] if matches else default


def check_sizes(headers: list[tuple[bytes, bytes]], limit: int, max_header_bytes: int) -> None:
    """Refuse headers larger than `max_header_bytes` together, or a declared body larger than `limit`."""
    size = sum(len(name) + len(value) + 4 for name, value in headers)
    if size > max_header_bytes:
        raise HeadersTooLarge(
            f"The request headers take {size} bytes; at most {max_header_bytes} are accepted."
        )
    declared = next((value for name, value in headers if name.lower() == b"content-length"), None)
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"The body has {declared.decode()} bytes; at most {limit} are accepted here.")


class RequestLimitsMiddleware:
    """A service's own bounds: headers and a declared length are checked before the app runs; a body sent
    in chunks is counted as the endpoint reads it, and answered 413 as soon as it passes the limit."""

    def __init__(
        self, app: ASGIApp, *, max_body_bytes: int, body_limits: Mapping[str, int], max_header_bytes: int
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.body_limits = dict(body_limits)
        self.max_header_bytes = max_header_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = body_limit(scope["path"], self.max_body_bytes, self.body_limits)
        try:
            check_sizes(scope["headers"], limit, self.max_header_bytes)
        except Problem as problem:
            await _answer(problem, scope, receive, send)
            return
        seen = 0
        too_large: PayloadTooLarge | None = None
        started = False

        async def counted() -> Message:
            nonlocal seen, too_large
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    too_large = PayloadTooLarge(f"The body is larger than the {limit} bytes accepted here.")
                    raise too_large
            return message

        async def guarded(message: Message) -> None:
            # The app's own answer to a body it could not read in full (FastAPI makes it a 400) is replaced.
            nonlocal started
            if too_large is None:
                started = started or message["type"] == "http.response.start"
                await send(message)

        try:
            await self.app(scope, counted, guarded)
        except Exception:
            if too_large is None or started:
                raise
        if too_large is not None and not started:
            await _answer(too_large, scope, receive, send)


async def _answer(problem: Problem, scope: Scope, receive: Receive, send: Send) -> None:
    await response_for(problem)(scope, receive, send)
