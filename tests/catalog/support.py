"""Helpers for catalogue tests: build offerings and sessions through the API as a coordinator would."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support import TokenFactory

SESSION = {
    "starts_at": "2027-03-04T08:30:00+01:00",
    "ends_at": "2027-03-04T12:30:00+01:00",
    "capacity": 30,
    "venue": "Utviklings- og kompetanseetaten, Grensen 13",
    "room": "Store sal",
}


async def create_offering(catalog: httpx.AsyncClient, tokens: TokenFactory, **fields: Any) -> httpx.Response:
    body = {"kind_code": "theme-gathering", "title": "Temasamling", "summary": "Sammendrag.", **fields}
    response = await catalog.post("/offerings", json=body, headers=tokens.header("coordinator"))
    assert response.status_code == 201, response.text
    return response


async def schedule(
    catalog: httpx.AsyncClient, tokens: TokenFactory, offering_id: str, **fields: Any
) -> dict[str, Any]:
    response = await catalog.post(
        "/sessions",
        json={"offering_id": offering_id, **SESSION, **fields},
        headers=tokens.header("coordinator"),
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def published_offering(
    catalog: httpx.AsyncClient, tokens: TokenFactory, sessions: int = 1, **fields: Any
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    offering = (await create_offering(catalog, tokens, **fields)).json()
    scheduled = [await schedule(catalog, tokens, offering["id"]) for _ in range(sessions)]
    response = await catalog.post(
        f"/offerings/{offering['id']}/publish", headers=tokens.header("coordinator")
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body, scheduled
