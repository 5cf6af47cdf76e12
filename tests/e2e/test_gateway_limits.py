"""Limits as a client meets them on the real gateway process: answers are problem documents."""

from __future__ import annotations

import httpx

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
