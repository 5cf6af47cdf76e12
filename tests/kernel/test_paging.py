"""One paging shape for every list: pages follow each other by cursor, and a cursor works only where it
was given out."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from services.kernel.paging import Page, Paging
from services.kernel.problem_handlers import install_problem_handlers

NUMBERS = list(range(1, 131))


class NumberPage(Page[int]):
    """A page of numbers."""


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/numbers")
    async def numbers(paging: Paging, odd: bool = False) -> NumberPage:
        return paging.slice(NumberPage, [n for n in NUMBERS if n % 2 or not odd])

    @app.get("/letters")
    async def letters(paging: Paging) -> NumberPage:
        return paging.slice(NumberPage, NUMBERS)

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        yield client


async def test_pages_follow_each_other_until_the_last_says_so(client: httpx.AsyncClient) -> None:
    seen: list[int] = []
    params: dict[str, str | int] = {"limit": 40}
    pages = 0
    while True:
        page = (await client.get("/numbers", params=params)).json()
        seen += page["items"]
        pages += 1
        if page["next_cursor"] is None:
            break
        params = {"limit": 40, "cursor": page["next_cursor"]}
    assert seen == NUMBERS
    assert pages == 4

    default = (await client.get("/numbers")).json()
    assert len(default["items"]) == 50
    assert (await client.get("/numbers", params={"cursor": ""})).json() == default
    exact = (await client.get("/numbers", params={"odd": "true", "limit": 65})).json()
    assert len(exact["items"]) == 65
    assert exact["next_cursor"] is None  # no empty page after a page that ends the list


@pytest.mark.parametrize("limit", [0, 101, "x"])
async def test_a_limit_outside_one_to_a_hundred_is_refused(
    client: httpx.AsyncClient, limit: int | str
) -> None:
    response = await client.get("/numbers", params={"limit": limit})
    assert response.status_code == 422


def _forged(offset: object, fingerprint: str) -> str:
    raw = json.dumps({"o": offset, "f": fingerprint}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


async def test_a_cursor_works_only_on_its_own_list_and_filters(client: httpx.AsyncClient) -> None:
    cursor = (await client.get("/numbers", params={"limit": 10})).json()["next_cursor"]
    fingerprint = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))["f"]
    refused = [
        await client.get("/numbers", params={"cursor": cursor, "odd": "true"}),
        await client.get("/letters", params={"cursor": cursor}),
        await client.get("/numbers", params={"cursor": "!!!"}),
        await client.get("/numbers", params={"cursor": _forged(10**30, fingerprint)}),
        await client.get("/numbers", params={"cursor": _forged(-1, fingerprint)}),
        await client.get("/numbers", params={"cursor": _forged("10", fingerprint)}),
    ]
    for response in refused:
        assert response.status_code == 400, response.text
        assert response.json()["type"] == "urn:problem:invalid-cursor"
    # Another page size on the way is fine: the cursor says where, the limit how many.
    more = (await client.get("/numbers", params={"cursor": cursor, "limit": 5})).json()
    assert more["items"] == [11, 12, 13, 14, 15]
