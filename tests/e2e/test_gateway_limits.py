"""Limits as a client meets them on the real gateway process: answers are problem documents."""

from __future__ import annotations

from pathlib import Path

import httpx

from devtools.stack import Stack, service_process
from tests.support import TokenFactory


async def test_oversized_requests_get_problem_documents(
    client: httpx.AsyncClient, tokens: TokenFactory
) -> None:
    headers = tokens.header("coordinator")
    crowded = await client.get("/api/v1/catalog/offerings", headers={**headers, "X-Padding": "p" * 20_000})
    assert crowded.status_code == 431
    assert crowded.json()["type"] == "urn:problem:headers-too-large"
    heavy = await client.post(
        "/api/v1/catalog/offerings", content=b"{" + b" " * 2_000_000 + b"}", headers=headers
    )
    assert heavy.status_code == 413
    assert heavy.json()["type"] == "urn:problem:payload-too-large"
    assert heavy.headers["cache-control"] == "no-store"


async def test_x_forwarded_for_from_an_untrusted_peer_is_not_believed(
    stack: Stack, database_url: str, process_auth: dict[str, str], tmp_path: Path
) -> None:
    """With no trusted proxy configured, a client on loopback that sends a new X-Forwarded-For with each
    request is still one address to the per-address limit: neither uvicorn nor the gateway believes it."""
    limits = {
        "GATEWAY_RATE_LIMIT_ADDRESS_PER_SECOND": "0.01",
        "GATEWAY_RATE_LIMIT_ADDRESS_BURST": "3",
        "GATEWAY_TRUSTED_PROXIES": "[]",
        **{f"GATEWAY_{name.upper()}_URL": stack.url(name) for name in ("catalog", "enrollment", "feedback")},
    }
    with service_process("gateway", database_url, process_auth, tmp_path / "gateway.log", limits) as (_, url):
        async with httpx.AsyncClient(base_url=url, timeout=10) as gateway:
            statuses = [
                (
                    await gateway.get(
                        "/api/v1/catalog/offerings", headers={"X-Forwarded-For": f"203.0.113.{n}"}
                    )
                ).status_code
                for n in range(6)
            ]
    assert statuses == [401, 401, 401, 429, 429, 429]


async def test_no_redirect_names_a_service_or_trusts_host(
    client: httpx.AsyncClient, stack: Stack, tokens: TokenFactory
) -> None:
    """A trailing slash is not redirected (the redirect named the service's own address), and the
    gateway's own pages never redirect to whatever Host a client sends."""
    headers = tokens.header("coordinator")
    for path in (
        "/api/v1/catalog/offerings/",
        "/api/v1/enrollment/enrollments/mine/",
        "/api/v1/feedback/surveys/",
    ):
        response = await client.get(path, headers=headers)
        assert response.status_code == 404, path
        assert "location" not in response.headers
        assert str(stack.ports["catalog"]) not in response.text
    forged = await client.get("/docs/", headers={"Host": "evil.example"})
    assert forged.status_code == 404
    assert "location" not in forged.headers
    assert (await client.get("/api/v1/catalog/offerings", headers=headers)).status_code == 200
