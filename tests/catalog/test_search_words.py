"""Finding what people type: parts of compound words, prefixes, a typo, æ/ø/å and their substitutes, the
kinds' and themes' names in both languages, and the ranking of what is found."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.catalog.support import create_offering, published_offering
from tests.support import TokenFactory


async def titles(catalog: httpx.AsyncClient, tokens: TokenFactory, q: str, **params: Any) -> list[str]:
    response = await catalog.get("/offerings", params={"q": q, **params}, headers=tokens.header())
    assert response.status_code == 200, response.text
    return [item["title"] for item in response.json()["items"]]


async def test_a_term_finds_the_compound_words_it_is_part_of(
    catalog: httpx.AsyncClient, tokens: TokenFactory
) -> None:
    await published_offering(catalog, tokens, title="Refleksjonsgrupper for toppledere")
    await published_offering(catalog, tokens, title="Fagdag", summary="Om toppledelse og lederutvikling.")
    await published_offering(catalog, tokens, title="Workshop om lederteamet")
    assert await titles(catalog, tokens, "refleksjon") == ["Refleksjonsgrupper for toppledere"]
    assert await titles(catalog, tokens, "ledelse") == ["Fagdag"]  # the last part
    assert await titles(catalog, tokens, "utvikling") == ["Fagdag"]
    assert await titles(catalog, tokens, "team") == ["Workshop om lederteamet"]  # a middle part
    assert await titles(catalog, tokens, "grupper toppledere") == ["Refleksjonsgrupper for toppledere"]


async def test_a_compound_in_the_query_finds_its_parts(
    catalog: httpx.AsyncClient, tokens: TokenFactory
) -> None:
    await published_offering(catalog, tokens, title="Samling for ledere", summary="Om teamet og endring.")
    await published_offering(catalog, tokens, title="Fagdag om ledelse")
    assert await titles(catalog, tokens, "lederteam") == ["Samling for ledere"]
    # With the linking -s-: "endring" and "ledelse", here in different offerings, so nothing.
    assert await titles(catalog, tokens, "endringsledelse") == []
    assert await titles(catalog, tokens, "teamendring") == ["Samling for ledere"]


async def test_prefixes_typos_and_letters_typed_without_aeoa(
    catalog: httpx.AsyncClient, tokens: TokenFactory
) -> None:
    await published_offering(catalog, tokens, title="Krisehåndtering i hverdagen", summary="Om møtepraksis.")
    await published_offering(catalog, tokens, title="Ærlige samtaler")
    for q in ("kri", "krisehand", "krisehandtering", "krisehaandtering", "krisehåndtering", "krisehandtring"):
        assert await titles(catalog, tokens, q) == ["Krisehåndtering i hverdagen"], q
    assert await titles(catalog, tokens, "motepraksis") == ["Krisehåndtering i hverdagen"]
    assert await titles(catalog, tokens, "moetepraksis") == ["Krisehåndtering i hverdagen"]
    assert await titles(catalog, tokens, "aerlige") == ["Ærlige samtaler"]
    # Below three letters a term only matches a whole word.
    assert await titles(catalog, tokens, "kr") == []


async def test_kind_and_theme_names_are_searched_in_both_languages(
    catalog: httpx.AsyncClient, tokens: TokenFactory
) -> None:
    await published_offering(catalog, tokens, title="Samtaler", kind_code="coaching")
    await published_offering(catalog, tokens, title="Samling", themes=["krisehandtering"])
    assert await titles(catalog, tokens, "coaching") == ["Samtaler"]
    assert await titles(catalog, tokens, "veiledning") == ["Samtaler"]
    assert await titles(catalog, tokens, "beredskap") == ["Samling"]
    assert await titles(catalog, tokens, "preparedness") == ["Samling"]


async def test_changed_texts_and_themes_are_found_at_once(
    catalog: httpx.AsyncClient, tokens: TokenFactory
) -> None:
    offering, _ = await published_offering(catalog, tokens, title="Samling")
    current = await catalog.get(f"/offerings/{offering['id']}", headers=tokens.header("coordinator"))
    response = await catalog.patch(
        f"/offerings/{offering['id']}",
        json={"summary": "Om hjemmekontorløsninger.", "themes": ["risikostyring"]},
        headers={**tokens.header("coordinator"), "If-Match": current.headers["ETag"]},
    )
    assert response.status_code == 200, response.text
    assert await titles(catalog, tokens, "hjemmekontor") == ["Samling"]
    assert await titles(catalog, tokens, "risk") == ["Samling"]


async def test_exclusions_and_phrases_still_hold(catalog: httpx.AsyncClient, tokens: TokenFactory) -> None:
    await published_offering(catalog, tokens, title="Krisehåndtering i effektive ledergrupper")
    await published_offering(catalog, tokens, title="Ledergrupper lykkes og er effektive")
    assert await titles(catalog, tokens, "ledergrupper -krise") == ["Ledergrupper lykkes og er effektive"]
    assert await titles(catalog, tokens, '"effektive ledergrupper"') == [
        "Krisehåndtering i effektive ledergrupper"
    ]
    assert sorted(await titles(catalog, tokens, "krise or lykkes")) == [
        "Krisehåndtering i effektive ledergrupper",
        "Ledergrupper lykkes og er effektive",
    ]


async def test_title_above_body_and_whole_words_above_parts(
    catalog: httpx.AsyncClient, tokens: TokenFactory
) -> None:
    await published_offering(
        catalog, tokens, title="Fagdag", summary="Tillit.", description="Tillit, tillit og mer tillit."
    )
    await published_offering(catalog, tokens, title="Tillitsbasert styring")
    await published_offering(catalog, tokens, title="Tillit i praksis")
    assert await titles(catalog, tokens, "tillit") == ["Tillit i praksis", "Tillitsbasert styring", "Fagdag"]


async def test_when_relevance_ties_free_seats_come_first(
    catalog: httpx.AsyncClient,
    tokens: TokenFactory,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    full_ids = []
    for title in ("Beredskap A", "Beredskap B"):
        _, [scheduled] = await published_offering(catalog, tokens, title=title)
        full_ids.append(scheduled["id"])
    await create_offering(catalog, tokens, title="Beredskap C")  # a draft: never listed for leaders
    first = await titles(catalog, tokens, "beredskap")
    assert sorted(first) == ["Beredskap A", "Beredskap B"]
    async with sessionmaker() as session, session.begin():
        await session.execute(
            text("UPDATE catalog.sessions SET seats_taken = capacity WHERE id = :id"), {"id": full_ids[0]}
        )
    assert await titles(catalog, tokens, "beredskap") == ["Beredskap B", "Beredskap A"]
    async with sessionmaker() as session, session.begin():
        await session.execute(
            text("UPDATE catalog.sessions SET seats_taken = 0 WHERE id = :id"), {"id": full_ids[0]}
        )
        await session.execute(
            text("UPDATE catalog.sessions SET seats_taken = capacity WHERE id = :id"), {"id": full_ids[1]}
        )
    assert await titles(catalog, tokens, "beredskap") == ["Beredskap A", "Beredskap B"]
    assert await titles(catalog, tokens, "beredskap", has_free_seats=True) == ["Beredskap A"]


async def test_search_text_with_query_syntax_characters_is_only_text(
    catalog: httpx.AsyncClient, tokens: TokenFactory
) -> None:
    await published_offering(catalog, tokens, title="Tillit")
    for q in (
        "'",
        "\\",
        "til'lit",
        "til\\lit",
        "%",
        "_",
        "tillit%",
        "til_it",
        "!tillit",
        "(tillit",
        "&|<->",
        ":*",
    ):
        response = await catalog.get("/offerings", params={"q": q}, headers=tokens.header())
        assert response.status_code == 200, (q, response.text)
