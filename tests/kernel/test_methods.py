"""OPTIONS and 405 answers list every method a path takes (RFC 9110 `Allow`)."""

from __future__ import annotations

import httpx

from tests.support import TokenFactory


async def test_options_and_405_list_every_method_of_the_path(
    catalog: httpx.AsyncClient, tokens: TokenFactory
) -> None:
    listing = await catalog.options("/offerings", headers=tokens.header())
    assert listing.status_code == 204
    assert listing.headers["allow"] == "GET, POST, OPTIONS"
    one = await catalog.options("/offerings/7d0c2b8e-3a1f-4e6b-9c5d-1f2a3b4c5d6e", headers=tokens.header())
    assert one.headers["allow"] == "GET, PATCH, OPTIONS"
    refused = await catalog.put("/offerings", headers=tokens.header("coordinator"))
    assert refused.status_code == 405
    assert refused.headers["allow"] == "GET, POST, OPTIONS"
    assert refused.headers["content-type"] == "application/problem+json"
    assert (await catalog.options("/no-such-thing", headers=tokens.header())).status_code == 404
