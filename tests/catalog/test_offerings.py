"""Offerings: the fields coordinators fill in, who sees what, the lifecycle, versioned edits, history."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.catalog.support import SESSION, create_offering, published_offering, schedule
from tests.support import TokenFactory

LONG_NORWEGIAN = (
    "Økt strategisk samhandling på tvers av virksomhetene – «tillit» og ærlig dialog. " * 150
).strip()


async def test_every_field_round_trips_untouched(catalog: httpx.AsyncClient, tokens: TokenFactory) -> None:
    body: dict[str, Any] = {
        "title": "Ledergruppeutvikling for bydelene – høsten 2027",
        "summary": "Seks halvdagssamlinger med hjemmelekse.",
        "description": LONG_NORWEGIAN,
        "audience": "org-units",
        "audience_org_unit_ids": ["5b8c4d4e-3f7a-4c59-9c55-0c6f0f4f6a11"],
        "format": "hybrid",
        "themes": ["effektive-ledergrupper", "strategisk-samhandling"],
        "facilitators": [
            {
                "name": "Kari Nordmann",
                "kind": "internal",
                "organisation": "UKE",
                "role": "Organisasjonskonsulent",
            },
            {"name": "Åsmund Ødegård", "kind": "external", "organisation": "Handelshøyskolen BI"},
        ],
        "funded_by": "Byrådslederens kontor",
    }
    created = await create_offering(catalog, tokens, kind_code="leader-group-development", **body)
    offering = created.json()
    assert created.headers["etag"] == '"v1"'
    for field, value in body.items():
        if field == "facilitators":
            assert [f["name"] for f in offering[field]] == ["Kari Nordmann", "Åsmund Ødegård"]
        elif field == "themes":
            assert sorted(offering[field]) == sorted(value)
        else:
            assert offering[field] == value, field
    assert offering["status"] == "draft"
    assert offering["is_programme"] is True  # from the kind
    assert offering["booking_unit"] == "person"
    again = await catalog.get(f"/offerings/{offering['id']}", headers=tokens.header("coordinator"))
    assert again.json()["description"] == LONG_NORWEGIAN


async def test_kind_defaults_apply(catalog: httpx.AsyncClient, tokens: TokenFactory) -> None:
    workshop = (await create_offering(catalog, tokens, kind_code="leader-group-workshop")).json()
    reflection = (await create_offering(catalog, tokens, kind_code="reflection-group")).json()
    assert (workshop["booking_unit"], workshop["audience"]) == ("group", "top-leader-groups")
    assert (reflection["booking_unit"], reflection["audience"]) == ("person", "top-leaders")


@pytest.mark.parametrize(
    ("body", "slug", "named"),
    [
        ({"kind_code": "yoga"}, "unknown-offering-kind", "yoga"),
        ({"themes": ["tillitsbasert-styring", "astrologi"]}, "unknown-theme", "astrologi"),
    ],
)
async def test_unknown_kind_or_theme_is_named(
    catalog: httpx.AsyncClient, tokens: TokenFactory, body: dict[str, object], slug: str, named: str
) -> None:
    payload = {"kind_code": "theme-gathering", "title": "x", **body}
    response = await catalog.post("/offerings", json=payload, headers=tokens.header("coordinator"))
    assert response.status_code == 422
    assert response.json()["type"] == f"urn:problem:{slug}"
    assert named in response.json()["detail"]


@pytest.mark.parametrize(
    "body",
    [
        {"audience": "org-units"},
        {"audience": "all-leaders", "audience_org_unit_ids": ["5b8c4d4e-3f7a-4c59-9c55-0c6f0f4f6a11"]},
        {"format": "telepathy"},
        {"facilitators": [{"name": "X", "kind": "guru"}]},
        {"title": "x" * 301},
    ],
)
async def test_invalid_offering_fields(
    catalog: httpx.AsyncClient, tokens: TokenFactory, body: dict[str, object]
) -> None:
    payload = {"kind_code": "theme-gathering", "title": "x", **body}
    response = await catalog.post("/offerings", json=payload, headers=tokens.header("coordinator"))
    assert response.status_code == 422, response.text


async def test_drafts_are_for_coordinators_and_only_coordinators_write(
    catalog: httpx.AsyncClient, tokens: TokenFactory
) -> None:
    draft = (await create_offering(catalog, tokens)).json()
    assert (await catalog.get(f"/offerings/{draft['id']}", headers=tokens.header())).status_code == 404
    assert (
        await catalog.get(f"/offerings/{draft['id']}", headers=tokens.header("coordinator"))
    ).status_code == 200
    for method, path, body in [
        ("POST", "/offerings", {"kind_code": "coaching", "title": "x"}),
        ("PATCH", f"/offerings/{draft['id']}", {"title": "y"}),
        ("POST", f"/offerings/{draft['id']}/publish", None),
        ("POST", f"/offerings/{draft['id']}/archive", None),
        ("POST", "/themes", {"code": "x", "name_nb": "x", "name_en": "x"}),
        ("GET", f"/offerings/{draft['id']}/history", None),
    ]:
        response = await catalog.request(
            method, path, json=body, headers={**tokens.header(), "If-Match": '"v1"'}
        )
        assert response.status_code == 403, (method, path)


async def test_publishing_needs_what_a_participant_needs(
    catalog: httpx.AsyncClient, tokens: TokenFactory, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    coordinator = tokens.header("coordinator")
    bare = (await create_offering(catalog, tokens, summary="")).json()
    refused = await catalog.post(f"/offerings/{bare['id']}/publish", headers=coordinator)
    assert refused.status_code == 409
    assert refused.json()["type"] == "urn:problem:not-publishable"
    assert refused.json()["missing"] == ["a summary", "at least one scheduled session in the future"]

    past = (await create_offering(catalog, tokens)).json()
    await schedule(
        catalog,
        tokens,
        past["id"],
        starts_at="2020-01-01T09:00:00+01:00",
        ends_at="2020-01-01T10:00:00+01:00",
    )
    assert (await catalog.post(f"/offerings/{past['id']}/publish", headers=coordinator)).status_code == 409

    coaching = (await create_offering(catalog, tokens, kind_code="coaching")).json()
    published = await catalog.post(f"/offerings/{coaching['id']}/publish", headers=coordinator)
    assert published.status_code == 200  # arranged on request: no dated session needed
    assert published.json()["status"] == "published"
    assert (await catalog.get(f"/offerings/{coaching['id']}", headers=tokens.header())).status_code == 200
    again = await catalog.post(f"/offerings/{coaching['id']}/publish", headers=coordinator)
    assert again.status_code == 409
    assert again.json()["type"] == "urn:problem:invalid-transition"
    async with sessionmaker() as session:
        topics = (
            (await session.execute(text("SELECT topic FROM eventbus.events ORDER BY id"))).scalars().all()
        )
        published_payload = await session.scalar(
            text("SELECT payload FROM eventbus.events WHERE topic = 'catalog.offering_published'")
        )
    assert topics.count("catalog.offering_published") == 1
    # Other services learn that it is requested, not enrolled in.
    assert published_payload["on_request"] is True


async def test_edits_need_the_current_etag(catalog: httpx.AsyncClient, tokens: TokenFactory) -> None:
    coordinator = tokens.header("coordinator")
    offering = (await create_offering(catalog, tokens)).json()
    path = f"/offerings/{offering['id']}"

    missing = await catalog.patch(path, json={"title": "Ny tittel"}, headers=coordinator)
    assert missing.status_code == 428
    first = await catalog.patch(
        path, json={"title": "Kari sin tittel"}, headers={**coordinator, "If-Match": '"v1"'}
    )
    assert first.status_code == 200
    assert first.headers["etag"] == '"v2"'
    # A second coordinator edited the version they read (v1): refused, not silently overwritten.
    stale = await catalog.patch(
        path, json={"title": "Per sin tittel"}, headers={**coordinator, "If-Match": '"v1"'}
    )
    assert stale.status_code == 412
    assert stale.json()["current_etag"] == '"v2"'
    current = await catalog.get(path, headers=coordinator)
    assert current.json()["title"] == "Kari sin tittel"
    assert current.headers["etag"].startswith('"v2.')  # the version, then the reader's verdict
    read = current.headers["etag"]
    assert (await catalog.get(path, headers={**coordinator, "If-None-Match": read})).status_code == 304
    assert (await catalog.get(path, headers={**coordinator, "If-None-Match": '"v1"'})).status_code == 200
    # The tag read from the detail is as good as the write's own for the next edit.
    third = await catalog.patch(path, json={"title": "Tredje"}, headers={**coordinator, "If-Match": read})
    assert third.status_code == 200


async def test_null_clears_only_what_may_be_empty_and_is_refused_elsewhere(
    catalog: httpx.AsyncClient, tokens: TokenFactory
) -> None:
    coordinator = tokens.header("coordinator")
    offering = (await create_offering(catalog, tokens, title_en="Theme gathering")).json()
    path = f"/offerings/{offering['id']}"
    for body in (
        {"title": None},
        {"summary": None},
        {"audience": None},
        {"format": None},
        {"funded_by": None},
    ):
        refused = await catalog.patch(path, json=body, headers={**coordinator, "If-Match": '"v1"'})
        assert refused.status_code == 422, (body, refused.text)
        assert refused.headers["content-type"] == "application/problem+json"
        assert "cannot be null" in refused.text
    cleared = await catalog.patch(path, json={"title_en": None}, headers={**coordinator, "If-Match": '"v1"'})
    assert cleared.status_code == 200
    assert cleared.json()["languages"] == ["nb"]

    session = await schedule(catalog, tokens, offering["id"], description="Om samlingen")
    session_path = f"/sessions/{session['id']}"
    etag = (await catalog.get(session_path, headers=coordinator)).headers["etag"]
    for body in ({"capacity": None}, {"allow_overbooking": None}):
        refused = await catalog.patch(session_path, json=body, headers={**coordinator, "If-Match": etag})
        assert refused.status_code == 422, (body, refused.text)
    emptied = await catalog.patch(
        session_path, json={"description": None, "room": None}, headers={**coordinator, "If-Match": etag}
    )
    assert emptied.status_code == 200, emptied.text
    assert (emptied.json()["description"], emptied.json()["room"]) == (None, None)


async def test_a_patch_that_changes_nothing_keeps_the_etag_and_writes_no_history(
    catalog: httpx.AsyncClient, tokens: TokenFactory
) -> None:
    coordinator = tokens.header("coordinator")
    offering = (await create_offering(catalog, tokens, themes=["endringsledelse"])).json()
    path = f"/offerings/{offering['id']}"
    same = {"title": offering["title"], "summary": offering["summary"], "themes": ["endringsledelse"]}
    unchanged = await catalog.patch(path, json=same, headers={**coordinator, "If-Match": '"v1"'})
    assert unchanged.status_code == 200
    assert unchanged.headers["etag"] == '"v1"'
    assert [
        h["action"] for h in (await catalog.get(f"{path}/history", headers=coordinator)).json()["items"]
    ] == ["created"]
    changed = await catalog.patch(
        path, json={**same, "summary": "Nytt."}, headers={**coordinator, "If-Match": '"v1"'}
    )
    assert changed.headers["etag"] == '"v2"'
    history = (await catalog.get(f"{path}/history", headers=coordinator)).json()["items"]
    assert history[0]["details"] == {"fields": ["summary"]}  # only what differed

    [session] = [await schedule(catalog, tokens, offering["id"])]
    session_path = f"/sessions/{session['id']}"
    etag = (await catalog.get(session_path, headers=coordinator)).headers["etag"]
    again = {"capacity": session["capacity"], "venue": session["venue"], "room": session["room"]}
    kept = await catalog.patch(session_path, json=again, headers={**coordinator, "If-Match": etag})
    assert kept.status_code == 200
    assert kept.headers["etag"] == etag


async def test_history_records_who_and_when(catalog: httpx.AsyncClient, tokens: TokenFactory) -> None:
    kari = tokens.header("coordinator", email="kari@uke.oslo.kommune.no")
    per = tokens.header("coordinator", email="per@uke.oslo.kommune.no")
    offering = (
        await catalog.post("/offerings", json={"kind_code": "coaching", "title": "Veiledning"}, headers=kari)
    ).json()
    await catalog.patch(
        f"/offerings/{offering['id']}",
        json={"summary": "Etter avtale.", "themes": ["endringsledelse"]},
        headers={**per, "If-Match": '"v1"'},
    )
    await catalog.post(f"/offerings/{offering['id']}/publish", headers=kari)
    history = (await catalog.get(f"/offerings/{offering['id']}/history", headers=per)).json()["items"]
    assert [h["action"] for h in history] == ["published", "updated", "created"]
    assert history[1]["details"] == {"fields": ["summary", "themes"]}
    assert history[1]["actor_oid"] != history[2]["actor_oid"]
    assert history[0]["at"].endswith(("+01:00", "+02:00"))


async def test_archived_offerings_stay_readable_to_coordinators_and_take_no_changes(
    catalog: httpx.AsyncClient, tokens: TokenFactory
) -> None:
    coordinator = tokens.header("coordinator")
    offering, [session] = await published_offering(catalog, tokens)
    archived = await catalog.post(f"/offerings/{offering['id']}/archive", headers=coordinator)
    assert archived.json()["status"] == "archived"
    assert (await catalog.get(f"/offerings/{offering['id']}", headers=tokens.header())).status_code == 404
    assert (await catalog.get(f"/offerings/{offering['id']}", headers=coordinator)).status_code == 200
    assert (
        len((await catalog.get(f"/offerings/{offering['id']}/history", headers=coordinator)).json()["items"])
        >= 3
    )
    edit = await catalog.patch(
        f"/offerings/{offering['id']}", json={"title": "x"}, headers={**coordinator, "If-Match": "*"}
    )
    assert edit.status_code == 409
    assert edit.json()["type"] == "urn:problem:offering-archived"
    more = await catalog.post(
        "/sessions", json={**SESSION, "offering_id": offering["id"]}, headers=coordinator
    )
    assert more.status_code == 409
    assert more.json()["type"] == "urn:problem:offering-archived"
    cancel = await catalog.post(
        f"/sessions/{session['id']}/cancel", json={"reason": "x"}, headers=coordinator
    )
    assert cancel.status_code == 409


async def test_new_kinds_and_themes_are_data(catalog: httpx.AsyncClient, tokens: TokenFactory) -> None:
    coordinator = tokens.header("coordinator")
    kind = {
        "code": "mentoring",
        "name_nb": "Mentorprogram",
        "name_en": "Mentoring",
        "requires_sessions": False,
    }
    assert (await catalog.post("/offering-kinds", json=kind, headers=coordinator)).status_code == 201
    assert (await catalog.post("/offering-kinds", json=kind, headers=coordinator)).status_code == 409
    theme = {"code": "baerekraft", "name_nb": "Bærekraft", "name_en": "Sustainability"}
    assert (await catalog.post("/themes", json=theme, headers=coordinator)).status_code == 201
    offering = await create_offering(catalog, tokens, kind_code="mentoring", themes=["baerekraft"])
    assert offering.json()["themes"] == ["baerekraft"]
    codes = [
        k["code"] for k in (await catalog.get("/offering-kinds", headers=tokens.header())).json()["items"]
    ]
    assert codes[:6] == [
        "theme-gathering",
        "reflection-group",
        "leader-group-development",
        "leader-group-workshop",
        "coaching",
        "professional-day",
    ]
    assert "mentoring" in codes
