"""Texts in bokmål and English: reads answer in the language asked for, say which, and fall back to bokmål;
search finds either language's words; calendars are written in the reader's language."""

from __future__ import annotations

from typing import Any

import httpx
from icalendar import Calendar

from services.kernel.languages import Language, negotiate
from tests.catalog.support import published_offering, schedule
from tests.support import TokenFactory

ENGLISH: dict[str, Any] = {
    "title": "Temasamling: Tillitsbasert ledelse",
    "summary": "Felles arena for toppledergruppene.",
    "description": "Hvordan bygge tillit i egen virksomhet.",
    "title_en": "Theme gathering: Trust-based leadership",
    "summary_en": "A shared arena for the top-leader groups.",
}


def english(tokens: TokenFactory, role: str = "user") -> dict[str, str]:
    return {**tokens.header(role), "Accept-Language": "en-GB,en;q=0.9,nb;q=0.5"}


def test_the_readers_language_is_the_highest_weighted_of_english_and_norwegian() -> None:
    assert negotiate(None) is Language.nb
    assert negotiate("") is Language.nb
    assert negotiate("en") is Language.en
    assert negotiate("en-US,en;q=0.9") is Language.en
    assert negotiate("nb-NO,nb;q=0.9,en;q=0.8") is Language.nb
    assert negotiate("nn") is Language.nb  # Nynorsk readers read bokmål, not English
    assert negotiate("de, en;q=0.5") is Language.en
    assert negotiate("nb;q=0.4, en;q=0.6") is Language.en
    assert negotiate("en;q=0") is Language.nb  # q=0 means "not this"
    assert negotiate("fr, de") is Language.nb
    assert negotiate("en;q=abc, ;;, ===") is Language.nb  # unreadable ranges are skipped


async def test_an_offering_answers_in_english_when_asked_and_says_so(
    catalog: httpx.AsyncClient, tokens: TokenFactory
) -> None:
    offering, _ = await published_offering(catalog, tokens, **ENGLISH)
    path = f"/offerings/{offering['id']}"

    in_english = await catalog.get(path, headers=english(tokens))
    assert in_english.status_code == 200
    body = in_english.json()
    assert (body["title"], body["summary"]) == (ENGLISH["title_en"], ENGLISH["summary_en"])
    # No English description was written: the reader gets the bokmål one rather than nothing.
    assert body["description"] == ENGLISH["description"]
    assert (body["language"], body["languages"]) == ("en", ["nb", "en"])
    assert in_english.headers["content-language"] == "en"
    assert "accept-language" in in_english.headers["vary"].lower()

    in_bokmal = await catalog.get(path, headers=tokens.header())
    assert in_bokmal.json()["title"] == ENGLISH["title"]
    assert in_bokmal.headers["content-language"] == "nb"
    # Each language is its own representation: a cached English copy is not "not modified" in bokmål.
    assert in_english.headers["etag"] != in_bokmal.headers["etag"]
    again = await catalog.get(path, headers={**english(tokens), "If-None-Match": in_english.headers["etag"]})
    assert again.status_code == 304
    switched = await catalog.get(
        path, headers={**tokens.header(), "If-None-Match": in_english.headers["etag"]}
    )
    assert switched.status_code == 200


async def test_without_english_texts_an_english_reader_gets_bokmal_labelled_as_such(
    catalog: httpx.AsyncClient, tokens: TokenFactory
) -> None:
    offering, _ = await published_offering(catalog, tokens, title="Krisehåndtering for ledere")
    response = await catalog.get(f"/offerings/{offering['id']}", headers=english(tokens))
    assert response.json()["title"] == "Krisehåndtering for ledere"
    assert (response.json()["language"], response.json()["languages"]) == ("nb", ["nb"])
    assert response.headers["content-language"] == "nb"


async def test_a_coordinator_adds_edits_and_removes_the_english_texts(
    catalog: httpx.AsyncClient, tokens: TokenFactory
) -> None:
    coordinator = tokens.header("coordinator")
    offering, _ = await published_offering(catalog, tokens, title="Fagdag: Styringsdialogen")
    path = f"/offerings/{offering['id']}"
    etag = (await catalog.get(path, headers=coordinator)).headers["etag"]
    added = await catalog.patch(
        path,
        json={"title_en": "Seminar: The governance dialogue", "description_en": "About steering."},
        headers={**english(tokens, "coordinator"), "If-Match": etag},
    )
    assert added.status_code == 200, added.text
    assert (added.json()["title"], added.json()["description"]) == (
        "Seminar: The governance dialogue",
        "About steering.",
    )
    assert added.json()["version"] == offering["version"] + 1
    history = (await catalog.get(f"{path}/history", headers=coordinator)).json()["items"]
    assert history[0]["details"]["fields"] == ["description_en", "title_en"]
    # An English etag is a variant of the same version: If-Match takes it.
    removed = await catalog.patch(
        path,
        json={"title_en": None},
        headers={**english(tokens, "coordinator"), "If-Match": added.headers["etag"]},
    )
    assert removed.status_code == 200, removed.text
    assert (removed.json()["title"], removed.json()["language"]) == ("Fagdag: Styringsdialogen", "nb")


async def test_english_texts_are_checked_like_the_bokmal_ones(
    catalog: httpx.AsyncClient, tokens: TokenFactory
) -> None:
    for bad in ({"title_en": ""}, {"title_en": "Two\nlines"}, {"summary_en": "x" * 2001}):
        response = await catalog.post(
            "/offerings",
            json={"kind_code": "theme-gathering", "title": "Temasamling", **bad},
            headers=tokens.header("coordinator"),
        )
        assert response.status_code == 422, (bad, response.text)
        assert response.headers["content-type"] == "application/problem+json"


async def test_the_listing_and_search_answer_in_english_and_find_english_words(
    catalog: httpx.AsyncClient, tokens: TokenFactory
) -> None:
    offering, _ = await published_offering(catalog, tokens, **ENGLISH)
    await published_offering(catalog, tokens, title="Refleksjonsgrupper for toppledere")

    found = await catalog.get("/offerings", params={"q": "trust"}, headers=english(tokens))
    assert [item["id"] for item in found.json()["items"]] == [offering["id"]]
    [item] = found.json()["items"]
    assert (item["title"], item["summary"], item["language"]) == (
        ENGLISH["title_en"],
        ENGLISH["summary_en"],
        "en",
    )
    assert found.headers["content-language"] == "en"
    # The English words are searchable whatever the reader's language, parts of them included.
    by_part = await catalog.get("/offerings", params={"q": "lead"}, headers=tokens.header())
    assert offering["id"] in [i["id"] for i in by_part.json()["items"]]
    assert by_part.json()["items"][0]["title"] == ENGLISH["title"]
    listing = (await catalog.get("/offerings", headers=english(tokens))).json()["items"]
    assert {i["language"] for i in listing} == {"en", "nb"}


async def test_kinds_themes_and_session_descriptions_in_the_readers_language(
    catalog: httpx.AsyncClient, tokens: TokenFactory
) -> None:
    themes = (await catalog.get("/themes", headers=english(tokens))).json()["items"]
    assert all(t["name"] == t["name_en"] for t in themes)
    kinds = (await catalog.get("/offering-kinds", headers=tokens.header())).json()["items"]
    assert all(k["name"] == k["name_nb"] for k in kinds)

    offering, _ = await published_offering(catalog, tokens, **ENGLISH)
    session = await schedule(
        catalog,
        tokens,
        offering["id"],
        description="Samling 1: Tillit i ledergruppen",
        description_en="Session 1: Trust in the leader group",
    )
    read = await catalog.get(f"/sessions/{session['id']}", headers=english(tokens))
    assert read.json()["description"] == "Session 1: Trust in the leader group"
    assert read.headers["content-language"] == "en"
    listed = (await catalog.get(f"/offerings/{offering['id']}/sessions", headers=tokens.header())).json()
    assert [s["description"] for s in listed["items"] if s["id"] == session["id"]] == [
        "Samling 1: Tillit i ledergruppen"
    ]


async def test_the_calendar_download_in_the_readers_language(
    catalog: httpx.AsyncClient, tokens: TokenFactory
) -> None:
    offering, [session] = await published_offering(catalog, tokens, **ENGLISH)
    response = await catalog.get(f"/sessions/{session['id']}/calendar.ics", headers=english(tokens))
    assert response.headers["content-language"] == "en"
    [event] = list(Calendar.from_ical(response.content).walk("VEVENT"))
    assert str(event["summary"]) == ENGLISH["title_en"]
    assert event["summary"].params["LANGUAGE"] == "en"
    assert ENGLISH["summary_en"] in str(event["description"])
    in_bokmal = await catalog.get(f"/offerings/{offering['id']}/calendar.ics", headers=tokens.header())
    [event] = list(Calendar.from_ical(in_bokmal.content).walk("VEVENT"))
    assert str(event["summary"]) == ENGLISH["title"]
