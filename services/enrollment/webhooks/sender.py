"""One delivery: the Standard Webhooks message for an event, signed, POSTed to the address checked.

The message is `{"type", "timestamp", "version", "data"}`: the topic, when the event occurred, the payload's
schema version and the payload (its schema is the topic's entry in the OpenAPI document's `webhooks`).
Headers: `webhook-id` (the event's id, the same on every attempt and replay, for receivers to drop
repeats), `webhook-timestamp` (when this attempt was signed) and `webhook-signature` (`v1,<base64>` per
secret, space-separated: during a secret rotation the old and the new one sign), made by the reference
`standardwebhooks` library.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from datetime import datetime

import httpx
from standardwebhooks import Webhook

from services.enrollment.webhooks import addresses
from services.enrollment.webhooks.addresses import AddressRefused, Network
from services.kernel.eventbus import Event
from services.kernel.schemas import oslo_iso

USER_AGENT = "ledelsesutvikling-webhooks/1"
ERROR_LENGTH = 500


@dataclass(frozen=True)
class Result:
    delivered: bool
    status_code: int | None
    error: str | None
    duration_ms: int


def message(event: Event) -> bytes:
    return json.dumps(
        {
            "type": event.topic,
            "timestamp": oslo_iso(event.occurred_at),
            "version": event.payload_version,
            "data": event.payload,
        },
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()


def signatures(secrets: list[str], msg_id: str, timestamp: datetime, body: bytes) -> str:
    return " ".join(Webhook(secret).sign(msg_id, timestamp, body) for secret in secrets)


def _failure(started: float, error: str, status_code: int | None = None) -> Result:
    return Result(False, status_code, error[:ERROR_LENGTH], round((time.monotonic() - started) * 1000))


class Sender:
    """Delivers to one endpoint, over connections of its own (closed by `close`)."""

    def __init__(self, *, timeout: float, allow_http: bool, networks: list[Network]) -> None:
        self.timeout = timeout
        self.allow_http = allow_http
        self.networks = networks
        # No redirects, no proxies or certificates from the environment: the address checked is the
        # address connected to.
        self.client = httpx.AsyncClient(follow_redirects=False, trust_env=False, timeout=timeout)

    async def close(self) -> None:
        await self.client.aclose()

    async def deliver(self, url: str, event: Event, secrets: list[str], now: datetime) -> Result:
        started = time.monotonic()
        try:
            target = await addresses.check(url, allow_http=self.allow_http, networks=self.networks)
        except AddressRefused as exc:
            return _failure(started, f"address refused: {exc}")
        body = message(event)
        msg_id = str(event.event_id)
        request_url = httpx.URL(url).copy_with(host=str(target.address))
        default_port = target.port == (443 if target.scheme == "https" else 80)
        headers = {
            "host": target.host if default_port else f"{target.host}:{target.port}",
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            "webhook-id": msg_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": signatures(secrets, msg_id, now, body),
        }
        # TLS names and checks the host of the URL, though the connection goes to the address checked.
        extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
        try:
            async with asyncio.timeout(self.timeout):
                request = self.client.build_request(
                    "POST", request_url, content=body, headers=headers, extensions=extensions
                )
                response = await self.client.send(request, stream=True)
                await response.aclose()
        except TimeoutError:
            return _failure(started, f"no answer within {self.timeout:g} s")
        except httpx.HTTPError as exc:
            return _failure(started, f"{type(exc).__name__}: {exc}")
        status = response.status_code
        if 200 <= status < 300:
            return Result(True, status, None, round((time.monotonic() - started) * 1000))
        if 300 <= status < 400:
            location = response.headers.get("location", "")
            return _failure(started, f"HTTP {status}: redirects are not followed ({location})", status)
        return _failure(started, f"HTTP {status}", status)
