"""What the process is serving now, so that background work can yield to requests.

The event bus's workers share the process (and, on a small machine, the cores) with the requests. A
subscription whose work can wait a little (mail) is marked `yields_to_requests`: before each pass its
worker waits until no request is in flight, or at most `Subscription.yield_seconds`, so under a rush it
takes one pass now and then instead of competing with every request, and catches up when the rush is
over. Consumers whose changes decide requests (a session's capacity) never wait.
"""

from __future__ import annotations

import asyncio
import contextlib

from starlette.types import ASGIApp, Receive, Scope, Send


class RequestLoad:
    """The number of requests in flight in this process, and a way to wait until there are none."""

    def __init__(self) -> None:
        self.in_flight = 0
        self._quiet = asyncio.Event()
        self._quiet.set()

    def started(self) -> None:
        self.in_flight += 1
        self._quiet.clear()

    def finished(self) -> None:
        self.in_flight -= 1
        if self.in_flight == 0:
            self._quiet.set()

    async def quiet(self, longest: float) -> None:
        """Return when no request is in flight, or after `longest` seconds whatever the load."""
        if self.in_flight == 0:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._quiet.wait(), timeout=longest)


class RequestLoadMiddleware:
    """Counts every HTTP request from its start until its answer is sent (or it fails)."""

    def __init__(self, app: ASGIApp, load: RequestLoad) -> None:
        self.app = app
        self.load = load

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self.load.started()
        try:
            await self.app(scope, receive, send)
        finally:
            self.load.finished()
