"""Finding offerings: Norwegian full text, filters, sorting, cursor pages, and conditional reads."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.catalog.support import create_offering, published_offering, schedule
from tests.support import TokenFactory


async def find(
    catalog: httpx.AsyncClient, tokens: TokenFactory, *roles: str, **params: Any
) -> dict[str, Any]:
    response = await catalog.get("/offerings", params=params, headers=tokens.header(*roles))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def titles(page: dict[str, Any]) -> list[str]:
    return [item["title"] for item in page["items"]]


async def test_norwegian_stemming_finds_inflected_words(
    catalog: httpx.AsyncClient, tokens: TokenFactory
) -> None:
    await published_offering(
        catalog, tokens, title="Utvikling av ledergruppen", summary="For hele ledergruppa."
    )
    await published_offering(
        catalog, tokens, title="Fagdag om tillit", summary="Tillitsbasert styring og ledelse."
    )
    assert titles(await find(catalog, tokens, q="ledergrupper")) == ["Utvikling av ledergruppen"]
    assert titles(await find(catalog, tokens, q="tillitsbasert")) == ["Fagdag om tillit"]
    assert titles(await find(catalog, tokens, q="ledergrupper -utvikling")) == []
    assert titles(await find(catalog, tokens, q="beredskap")) == []


async def test_relevance_puts_title_matches_first(catalog: httpx.AsyncClient, tokens: TokenFactory) -> None:
    await published_offering(catalog, tokens, title="Fagdag", summary="Om krisehåndtering i kommunen.")
    await published_offering(catalog, tokens, title="Krisehåndtering i praksis", summary="Workshop.")
    assert titles(await find(catalog, tokens, q="krisehåndtering")) == ["Krisehåndtering i praksis", "Fagdag"]


async def test_filters(
    catalog: httpx.AsyncClient, tokens: TokenFactory, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    coordinator = tokens.header("coordinator")
    _, [crisis_session] = await published_offering(
        catalog,
        tokens,
        title="Krise",
        kind_code="leader-group-workshop",
        themes=["krisehandtering"],
        format="digital",
    )
    await published_offering(catalog, tokens, title="Tillit", themes=["tillitsbasert-styring"])
    draft = (await create_offering(catalog, tokens, title="Utkast")).json()
    await schedule(catalog, tokens, draft["id"])
    _, [closed_session] = await published_offering(catalog, tokens, title="Stengt")
    await catalog.patch(
        f"/sessions/{closed_session['id']}",
        json={"enrollment_opens_at": "2027-02-01T09:00:00+01:00"},
        headers={**coordinator, "If-Match": '"v1.0"'},
    )
    async with sessionmaker() as db, db.begin():  # the enrollment service reported the workshop full
        await db.execute(
            text("UPDATE catalog.sessions SET seats_taken = capacity, seats_version = 1 WHERE id = :id"),
            {"id": crisis_session["id"]},
        )

    assert titles(await find(catalog, tokens, kind="leader-group-workshop")) == ["Krise"]
    assert titles(await find(catalog, tokens, theme="tillitsbasert-styring")) == ["Tillit"]
    assert titles(await find(catalog, tokens, format="digital")) == ["Krise"]
    assert titles(await find(catalog, tokens, audience="top-leader-groups")) == ["Krise"]
    assert sorted(titles(await find(catalog, tokens, open_now="true"))) == ["Krise", "Tillit"]
    assert sorted(titles(await find(catalog, tokens, has_free_seats="true"))) == ["Stengt", "Tillit"]
    assert titles(await find(catalog, tokens, starts_from="2027-03-05T00:00:00+01:00")) == []
    in_march = await find(
        catalog, tokens, starts_from="2027-03-01T00:00:00+01:00", starts_until="2027-03-31T00:00:00+02:00"
    )
    assert len(in_march["items"]) == 3
    summary = next(i for i in in_march["items"] if i["title"] == "Krise")
    assert (summary["seats_available"], summary["upcoming_sessions"], summary["open_for_enrollment"]) == (
        0,
        1,
        True,
    )
    assert summary["next_session"]["starts_at"] == "2027-03-04T08:30:00+01:00"
    assert "Utkast" not in titles(await find(catalog, tokens))
    assert titles(await find(catalog, tokens, "coordinator", status="draft")) == ["Utkast"]
    forbidden = await catalog.get("/offerings", params={"status": "draft"}, headers=tokens.header())
    assert forbidden.status_code == 403
    unknown = await catalog.get("/offerings", params={"theme": "astrologi"}, headers=tokens.header())
    assert (unknown.status_code, unknown.json()["type"]) == (422, "urn:problem:unknown-theme")


async def test_cursor_pages_cover_every_result_once(catalog: httpx.AsyncClient, tokens: TokenFactory) -> None:
    expected = set()
    for n in range(23):
        offering, _ = await published_offering(catalog, tokens, title=f"Temasamling {n:02d}")
        expected.add(offering["id"])
    for sort in ("title", "newest", "next-session"):
        seen: list[str] = []
        cursor = None
        pages = 0
        while True:
            params = {"limit": 10, "sort": sort, **({"cursor": cursor} if cursor else {})}
            page = await find(catalog, tokens, **params)
            seen += [item["id"] for item in page["items"]]
            pages += 1
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert pages == 3, sort
        assert len(seen) == len(set(seen)) == 23, sort
        assert set(seen) == expected
    by_title = await find(catalog, tokens, sort="title", limit=100)
    assert titles(by_title) == [f"Temasamling {n:02d}" for n in range(23)]


async def test_a_cursor_only_fits_its_own_search(catalog: httpx.AsyncClient, tokens: TokenFactory) -> None:
    for n in range(3):
        await published_offering(catalog, tokens, title=f"Samling {n}")
    page = await find(catalog, tokens, limit=1, sort="title")
    other = await catalog.get(
        "/offerings",
        params={"limit": 1, "sort": "newest", "cursor": page["next_cursor"]},
        headers=tokens.header(),
    )
    assert (other.status_code, other.json()["type"]) == (400, "urn:problem:invalid-cursor")
    relevance = await catalog.get("/offerings", params={"sort": "relevance"}, headers=tokens.header())
    assert (relevance.status_code, relevance.json()["type"]) == (400, "urn:problem:relevance-needs-q")


async def test_listing_answers_if_none_match_and_changes_when_seats_do(
    catalog: httpx.AsyncClient, tokens: TokenFactory, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    _, [session] = await published_offering(catalog, tokens, title="Fagdag")
    first = await catalog.get("/offerings", headers=tokens.header())
    etag = first.headers["etag"]
    assert (
        await catalog.get("/offerings", headers={**tokens.header(), "If-None-Match": etag})
    ).status_code == 304
    async with sessionmaker() as db, db.begin():
        await db.execute(
            text("UPDATE catalog.sessions SET seats_taken = 3, seats_version = 1 WHERE id = :id"),
            {"id": session["id"]},
        )
    changed = await catalog.get("/offerings", headers={**tokens.header(), "If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.json()["items"][0]["seats_available"] == 27


@pytest.mark.parametrize("limit", [0, 101])
async def test_page_size_is_capped(catalog: httpx.AsyncClient, tokens: TokenFactory, limit: int) -> None:
    response = await catalog.get("/offerings", params={"limit": limit}, headers=tokens.header())
    assert response.status_code == 422


async def test_session_filters_page_in_order(
    catalog: httpx.AsyncClient, tokens: TokenFactory, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """Conditions on sessions are checked on the ordered candidates until a page is full: every page is full
    but the last, in sort order, and the pages together hold exactly the offerings that qualify."""
    full_sessions = []
    for n in range(12):
        _, [session] = await published_offering(catalog, tokens, title=f"Samling {n:02d}")
        if n % 3 == 1:
            full_sessions.append(session["id"])
    async with sessionmaker() as db, db.begin():
        await db.execute(
            text(
                "UPDATE catalog.sessions SET seats_taken = capacity, seats_version = 1 WHERE id = ANY(:ids)"
            ),
            {"ids": full_sessions},
        )
    expected = [f"Samling {n:02d}" for n in range(12) if n % 3 != 1]
    for sort, order in (("title", expected), ("newest", expected[::-1])):
        seen: list[str] = []
        cursor = None
        while True:
            params = {
                "has_free_seats": "true",
                "sort": sort,
                "limit": 3,
                **({"cursor": cursor} if cursor else {}),
            }
            page = await find(catalog, tokens, **params)
            cursor = page["next_cursor"]
            assert len(page["items"]) == 3 or cursor is None
            seen += titles(page)
            if cursor is None:
                break
        assert seen == order, sort


async def test_values_postgresql_refuses_are_bad_requests(
    catalog: httpx.AsyncClient, tokens: TokenFactory
) -> None:
    """A NUL character cannot travel in PostgreSQL text: 400 `invalid-value`, not a 500."""
    await published_offering(catalog, tokens, title="Tillit")
    for params in ({"q": "til\x00lit"}, {"theme": "til\x00lit"}):
        response = await catalog.get("/offerings", params=params, headers=tokens.header())
        assert (response.status_code, response.json()["type"]) == (400, "urn:problem:invalid-value"), params
