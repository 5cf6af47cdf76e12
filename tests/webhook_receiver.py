"""A webhook receiver for tests: a real HTTP server on loopback that verifies each delivery with the
reference `standardwebhooks` library, keeps what it received, and answers as the test tells it to."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    status: int  # what the receiver answered
    verified_with: list[int]  # indexes of `secrets` whose signature verified

    @property
    def id(self) -> str:
        return self.headers["webhook-id"]

    @property
    def message(self) -> dict[str, Any]:
        result: dict[str, Any] = json.loads(self.body)
        return result


@dataclass
class Receiver:
    secrets: list[str] = field(default_factory=list)
    status: int = 200
    location: str | None = None  # with a 3xx status: where to redirect
    received: list[Received] = field(default_factory=list)
    port: int = 0
    _runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def delivered(self) -> list[Received]:
        """What the receiver accepted (answered 2xx), in the order it came."""
        return [r for r in self.received if 200 <= r.status < 300]

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        headers = {k.lower(): v for k, v in request.headers.items()}
        verified = []
        for index, secret in enumerate(self.secrets):
            try:
                Webhook(secret).verify(body, headers)
            except WebhookVerificationError:
                continue
            verified.append(index)
        status = self.status if verified or not self.secrets else 401
        self.received.append(Received(request.path, headers, body, status, verified))
        response = (
            web.Response(status=status, headers={"Location": self.location})
            if 300 <= status < 400 and self.location
            else web.Response(status=status)
        )
        # One connection per delivery: stopping the receiver then leaves no idle kept-alive connection.
        response.force_close()
        return response

    async def start(self) -> None:
        """Listen (on the same port as before, when restarted)."""
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()
        if not self.port:
            self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        """Stop listening: requests under way are answered, later ones find the port closed."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
