"""A cached JSON Web Key Set, fetched without blocking the event loop.

Keys come from an `https://` URL (Entra ID: `https://login.microsoftonline.com/<tenant>/discovery/v2.0/keys`)
or a `file://` path (development, or a pinned local JWKS). The set is cached for `ttl` seconds; a token
signed with an unknown `kid` triggers one refresh, at most once per `cooldown`, so a flood of made-up
`kid`s cannot become a flood of requests to the identity provider; a `kid` a refresh did not find is
remembered as bad for `bad_kid_seconds` and asks for no refresh at all meanwhile. When a refresh fails
the last good keys stay in use. Only the configured URL is ever fetched: `jku`, `x5u`, `jwk` and `x5c`
in a token's header are never looked at (a token names its key by `kid` alone).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import httpx
import jwt

log = logging.getLogger(__name__)

ALLOWED_ALGORITHMS = ("RS256",)


class JwksUnavailable(Exception):
    """No usable keys could be loaded and none are cached."""


class JwksCache:
    def __init__(
        self,
        url: str,
        *,
        ttl_seconds: float = 3600,
        cooldown_seconds: float = 30,
        http_client: httpx.AsyncClient | None = None,
        timeout_seconds: float = 5.0,
        bad_kid_seconds: float = 300,
    ) -> None:
        self.url = url
        self.ttl = ttl_seconds
        self.cooldown = cooldown_seconds
        self._client = http_client
        self._timeout = timeout_seconds
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at: float | None = None
        self._last_attempt: float | None = None
        self._lock = asyncio.Lock()
        self.bad_kid_seconds = bad_kid_seconds
        self._bad: OrderedDict[str, float] = OrderedDict()
        self.fetches = 0

    @property
    def has_keys(self) -> bool:
        return bool(self._keys)

    async def _read(self) -> dict[str, Any]:
        parsed = urlparse(self.url)
        if parsed.scheme == "file":
            text = await asyncio.to_thread(Path(unquote(parsed.path)).read_text)
            data: dict[str, Any] = json.loads(text)
            return data
        if parsed.scheme not in {"https", "http"}:
            raise JwksUnavailable(f"unsupported JWKS URL scheme: {parsed.scheme!r}")
        if self._client is not None:
            response = await self._client.get(self.url, timeout=self._timeout)
        else:
            async with httpx.AsyncClient(timeout=self._timeout, follow_redirects=False) as client:
                response = await client.get(self.url)
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body

    @staticmethod
    def _parse(document: dict[str, Any]) -> dict[str, jwt.PyJWK]:
        keys: dict[str, jwt.PyJWK] = {}
        for entry in document.get("keys", []):
            kid = entry.get("kid")
            if not isinstance(kid, str) or entry.get("kty") != "RSA" or entry.get("use", "sig") != "sig":
                continue
            try:
                keys[kid] = jwt.PyJWK(entry, algorithm="RS256")
            except jwt.PyJWKError as exc:
                log.warning("skipping unusable JWK %s: %s", kid, exc)
        return keys

    async def refresh(self) -> bool:
        """Load the key set now; keep the previous keys when the source fails. True when keys were loaded."""
        async with self._lock:
            self._last_attempt = time.monotonic()
            self.fetches += 1
            try:
                keys = self._parse(await self._read())
            except (OSError, ValueError, httpx.HTTPError, JwksUnavailable) as exc:
                log.warning("JWKS refresh from %s failed: %s", self.url, exc)
                return False
            if not keys:
                log.warning("JWKS at %s holds no usable RS256 signing keys", self.url)
                return False
            self._keys = keys
            self._fetched_at = time.monotonic()
            return True

    def current(self, kid: str) -> jwt.PyJWK | None:
        """The key published under `kid` now, without fetching (the token cache checks its key still is)."""
        return self._keys.get(kid)

    async def get(self, kid: str) -> jwt.PyJWK | None:
        now = time.monotonic()
        stale = self._fetched_at is None or now - self._fetched_at > self.ttl
        unknown = kid not in self._keys
        if unknown and not stale and self._bad.get(kid, 0) > now:
            return None  # looked for recently and not published: no new request for it
        may_retry = self._last_attempt is None or now - self._last_attempt >= self.cooldown
        if (stale or unknown) and may_retry:
            await self.refresh()
        key = self._keys.get(kid)
        if key is None:
            self._bad[kid] = now + self.bad_kid_seconds
            self._bad.move_to_end(kid)
            while len(self._bad) > 10_000:
                self._bad.popitem(last=False)
        return key
