"""An access request through the gateway: one document with what all three services hold about a
person, to that person or a privacy officer and nobody else, each read on record."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from devtools import devkeys
from services.kernel import database
from tests.support import TokenFactory, eventually

API = "/api/v1"


async def _ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


async def test_a_person_and_a_privacy_officer_get_everything_and_nobody_else_does(
    client: httpx.AsyncClient, engine: AsyncEngine, tokens: TokenFactory
) -> None:
    tag = uuid.uuid4().hex[:6]
    hr, coordinator = tokens.header("hr-integration"), tokens.header("coordinator")
    sync = f"{API}/enrollment/directory/sync"
    unit = {"external_id": f"bydel-{tag}", "name": f"Bydel {tag}", "kind": "city-district", "sector": "Bydel"}
    await _ok(await client.post(f"{sync}/org-units", json={"records": [unit]}, headers=hr))
    emails = [f"liv-{tag}@bydel.oslo.kommune.no", f"per-{tag}@bydel.oslo.kommune.no"]
    people = [
        {
            "external_id": f"E-{tag}-{i}",
            "name": name,
            "email": email,
            "entra_oid": devkeys.person_oid(email),
            "org_unit_external_id": unit["external_id"],
        }
        for i, (name, email) in enumerate(zip(("Liv Innsyn", "Per Medlem"), emails, strict=True))
    ]
    await _ok(await client.post(f"{sync}/people", json={"records": people}, headers=hr))
    group = {
        "external_id": f"tlg-{tag}",
        "name": f"Toppledergruppen {tag}",
        "org_unit_external_id": unit["external_id"],
        "leader_external_id": people[0]["external_id"],
        "members": [{"person_external_id": people[1]["external_id"]}],
    }
    await _ok(await client.post(f"{sync}/leader-groups", json={"records": [group]}, headers=hr))
    liv, per = (tokens.header(email=e) for e in emails)

    offering = await _ok(
        await client.post(
            f"{API}/catalog/offerings",
            json={"kind_code": "leader-group-development", "title": f"Program {tag}", "summary": "Program."},
            headers=coordinator,
        ),
        201,
    )
    starts = datetime.now(UTC) + timedelta(weeks=6)
    session = await _ok(
        await client.post(
            f"{API}/catalog/sessions",
            json={
                "offering_id": offering["id"],
                "starts_at": starts.isoformat(),
                "ends_at": (starts + timedelta(hours=4)).isoformat(),
                "capacity": 10,
                "venue": "Rådhuset",
            },
            headers=coordinator,
        ),
        201,
    )
    await _ok(await client.post(f"{API}/catalog/offerings/{offering['id']}/publish", headers=coordinator))
    async with database.create_sessionmaker(engine)() as db:
        group_id = await db.scalar(
            text("SELECT id FROM enrollment.leader_groups WHERE external_id = :e"),
            {"e": group["external_id"]},
        )

    async def enrolled() -> dict[str, Any] | None:
        response = await client.post(
            f"{API}/enrollment/enrollments",
            json={"offering_id": offering["id"], "leader_group_id": str(group_id)},
            headers=liv,
        )
        return None if response.status_code == 503 else await _ok(response, 201)

    await eventually(enrolled, within=30)

    async def complete() -> dict[str, Any] | None:
        # The feedback service learns of the place and opens the group's baseline by event.
        document = await _ok(await client.get(f"{API}/privacy/access", headers=liv))
        return document if document["services"]["feedback"]["data"]["invitations"] else None

    document = await eventually(complete, within=30)
    assert document["subject"]["oid"] == devkeys.person_oid(emails[0])
    assert set(document["services"]) == {"catalog", "enrollment", "feedback"}
    held = document["services"]["enrollment"]["data"]
    assert [p["name"] for p in held["person"]] == ["Liv Innsyn"]
    assert [(g["name"], g["leads"]) for g in held["leader_groups"]] == [(group["name"], True)]
    assert [p["session_id"] for p in held["places"]] == [session["id"]]
    feedback = document["services"]["feedback"]["data"]
    assert [i["status"] for i in feedback["invitations"]] == ["open"]
    assert "answers" not in str(feedback)  # what anyone answered is never there to give
    catalog = document["services"]["catalog"]["data"]
    assert [row["facts"]["leads_group"] for row in catalog["audience"]] == [True]

    # Nobody else: not by e-mail, oid or directory id, at the gateway or at a service directly.
    liv_id = held["person"][0]["id"]
    for params in ({"email": emails[0]}, {"oid": devkeys.person_oid(emails[0])}, {"person_id": liv_id}):
        refused = await client.get(f"{API}/privacy/access", params=params, headers=per)
        assert refused.status_code == 403, (params, refused.text)
        assert refused.json()["type"] == "urn:problem:not-the-subject"
    for service in ("catalog", "feedback"):
        direct = await client.get(
            f"{API}/{service}/privacy/subject", params={"person_id": liv_id}, headers=per
        )
        assert direct.status_code == 403
    assert (await client.get(f"{API}/privacy/access")).status_code == 401

    # A privacy officer asks about anyone, by e-mail, and learns when the directory has nobody by it.
    officer = tokens.header("privacy-officer", email=f"personvern-{tag}@oslo.kommune.no")
    about = await _ok(await client.get(f"{API}/privacy/access", params={"email": emails[0]}, headers=officer))
    assert about["subject"] == document["subject"]
    assert about["services"]["feedback"]["data"]["invitations"] == feedback["invitations"]
    missing = await client.get(
        f"{API}/privacy/access", params={"email": "ingen@oslo.kommune.no"}, headers=officer
    )
    assert (missing.status_code, missing.json()["type"]) == (404, "urn:problem:subject-not-found")

    # Every read is on record in every service: who read whose data, and why.
    async with database.create_sessionmaker(engine)() as db:
        for schema in ("catalog", "enrollment", "feedback"):
            readers = (
                await db.execute(
                    text(
                        f"SELECT reader_oid FROM {schema}.personal_data_reads "
                        "WHERE purpose = 'access request' AND :oid = ANY(subject_oids)"
                    ),
                    {"oid": document["subject"]["oid"]},
                )
            ).scalars()
            assert {
                devkeys.person_oid(emails[0]),
                devkeys.person_oid(f"personvern-{tag}@oslo.kommune.no"),
            } <= set(readers), schema


async def test_the_access_path_takes_get_only(client: httpx.AsyncClient, tokens: TokenFactory) -> None:
    for method in ("PUT", "POST", "DELETE", "PATCH"):
        refused = await client.request(method, f"{API}/privacy/access", headers=tokens.header())
        assert refused.status_code == 405, method
        assert refused.headers["allow"] == "GET, OPTIONS"
        assert refused.headers["content-type"] == "application/problem+json"
    options = await client.options(f"{API}/privacy/access")
    assert (options.status_code, options.headers["allow"]) == (204, "GET, OPTIONS")
