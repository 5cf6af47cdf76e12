"""The relevance set (`devtools/search_relevance.toml`) against the demo catalogue `make run` loads: each
query finds its offerings among its first results, as a leader searching the intranet sees them."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from devtools import relevance
from devtools.demo import OFFERINGS, load_demo_data
from tests.support import TokenFactory


async def test_every_query_finds_its_offerings_among_the_first_results(
    db: AsyncEngine, catalog: httpx.AsyncClient, tokens: TokenFactory, database_url: str
) -> None:
    await load_demo_data(database_url)
    cases = relevance.load()
    assert len(cases) >= 40
    assert {title for case in cases for title in case.find} <= {o.title for o in OFFERINGS}
    misses = {}
    for case in cases:
        response = await catalog.get("/offerings", params={"q": case.q, "limit": 20}, headers=tokens.header())
        assert response.status_code == 200, response.text
        titles = [item["title"] for item in response.json()["items"]]
        if case.misses(titles):
            misses[case.q] = {"missing": case.misses(titles), "answered": titles}
    assert not misses
