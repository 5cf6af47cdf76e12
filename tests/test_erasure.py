"""Erasure across the three services: a privacy officer erases a leader who enrolled, got mail, was
read about and acted as a coordinator; afterwards no table of any schema, no event payload and no mail
file holds their name, e-mail, object id, HR id or directory id, and the counts built on them stay."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from devtools import devkeys
from services.enrollment.privacy.service import scrub_due
from tests.support import TokenFactory, eventually

SCHEMAS = ("catalog", "enrollment", "feedback", "eventbus")


async def _ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


async def traces(sessionmaker: async_sessionmaker[AsyncSession], needles: list[str]) -> list[str]:
    """Every table of every schema whose rows, as text, contain any of `needles`."""
    found = []
    patterns = [f"%{needle.lower()}%" for needle in needles]
    async with sessionmaker() as session:
        tables = (
            await session.execute(
                text(
                    "SELECT table_schema, table_name FROM information_schema.tables "
                    "WHERE table_schema = ANY(:schemas) AND table_type = 'BASE TABLE'"
                ),
                {"schemas": list(SCHEMAS)},
            )
        ).all()
        for schema, table in tables:
            hits = await session.scalar(
                text(
                    f'SELECT count(*) FROM "{schema}"."{table}" t '
                    "WHERE lower(CAST(t AS text)) LIKE ANY(:patterns)"
                ),
                {"patterns": patterns},
            )
            if hits:
                found.append(f"{schema}.{table}: {hits}")
    return found


async def test_an_erased_person_leaves_no_trace_and_the_counts_stay(
    catalog: httpx.AsyncClient,
    enrollment: httpx.AsyncClient,
    feedback: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    tokens: TokenFactory,
    mail_directory: Path,
) -> None:
    tag = uuid.uuid4().hex[:8]
    name, email = f"Liv Slettemann {tag}", f"liv.slettemann.{tag}@bydel-alna.oslo.kommune.no"
    oid, external_id = devkeys.person_oid(email), f"E-SLETT-{tag}"
    hr = tokens.header("hr-integration")
    unit = {"external_id": f"bydel-{tag}", "name": f"Bydel {tag}", "kind": "city-district", "sector": "Bydel"}
    await _ok(await enrollment.post("/directory/sync/org-units", json={"records": [unit]}, headers=hr))
    people = [
        {"external_id": external_id, "name": name, "email": email, "entra_oid": oid},
        {"external_id": f"E-KARI-{tag}", "name": "Kari", "email": f"kari.{tag}@oslo.kommune.no"},
    ]
    for person in people:
        person["org_unit_external_id"] = unit["external_id"]
    await _ok(await enrollment.post("/directory/sync/people", json={"records": people}, headers=hr))
    group = {
        "external_id": f"tlg-{tag}",
        "name": f"Toppledergruppen {tag}",
        "org_unit_external_id": unit["external_id"],
        "leader_external_id": external_id,
        "members": [{"person_external_id": people[1]["external_id"]}],
    }
    await _ok(await enrollment.post("/directory/sync/leader-groups", json={"records": [group]}, headers=hr))
    liv = tokens.header(email=email)
    # Liv is also a coordinator: the catalogue's history names her.
    as_coordinator = tokens.header("coordinator", email=email)
    offering = await _ok(
        await catalog.post(
            "/offerings",
            json={"kind_code": "theme-gathering", "title": f"Temasamling {tag}", "summary": "Samling."},
            headers=as_coordinator,
        ),
        201,
    )
    session = await _ok(
        await catalog.post(
            "/sessions",
            json={
                "offering_id": offering["id"],
                "starts_at": "2027-03-04T08:30:00+01:00",
                "ends_at": "2027-03-04T12:30:00+01:00",
                "capacity": 10,
                "venue": "Rådhuset",
            },
            headers=as_coordinator,
        ),
        201,
    )
    await _ok(await catalog.post(f"/offerings/{offering['id']}/publish", headers=as_coordinator))

    async def enrolled() -> dict[str, Any] | None:
        response = await enrollment.post("/enrollments", json={"session_id": session["id"]}, headers=liv)
        return None if response.status_code == 503 else await _ok(response, 201)

    await eventually(enrolled)

    async def mailed() -> bool:
        files = await asyncio.to_thread(lambda: list(mail_directory.glob("*.eml")))
        return any(email.encode() in path.read_bytes() for path in files)

    await eventually(mailed)

    async def known_to_feedback() -> bool:
        async with sessionmaker() as db:
            return bool(
                await db.scalar(
                    text("SELECT count(*) FROM feedback.participants WHERE session_id = :s"),
                    {"s": session["id"]},
                )
            )

    await eventually(known_to_feedback)
    await _ok(await enrollment.get("/privacy/subject", headers=liv))
    me = await _ok(await enrollment.get("/people/me", headers=liv))
    person_id = me["id"]

    needles = [name, email, oid, external_id, person_id]
    before = await traces(sessionmaker, needles)
    # The search sees what there is to find: the directory, the places, the catalogue's history and
    # audience, the feedback service's people, the read records and the event payloads.
    assert {
        "enrollment.people",
        "enrollment.participations",
        "enrollment.mail_deliveries",
        "enrollment.personal_data_reads",
        "catalog.changes",
        "catalog.audience",
        "feedback.people",
        "eventbus.events",
    } <= {entry.split(":")[0] for entry in before}
    officer = tokens.header("privacy-officer", email=f"personvern.{tag}@oslo.kommune.no")
    refused = await enrollment.post(
        "/privacy/erasures", json={"email": email, "reason": "x"}, headers=as_coordinator
    )
    assert refused.status_code == 403
    erasure = await _ok(
        await enrollment.post(
            "/privacy/erasures", json={"email": email, "reason": "Krav om sletting"}, headers=officer
        ),
        201,
    )
    assert erasure["scrubbed_at"] is None

    async def scrubbed() -> bool:
        async with sessionmaker() as db, db.begin():
            await scrub_due(db)
        state = await _ok(await enrollment.get(f"/privacy/erasures/{erasure['id']}", headers=officer))
        return state["scrubbed_at"] is not None

    await eventually(scrubbed, within=30)
    assert await traces(sessionmaker, needles) == []
    files = await asyncio.to_thread(lambda: list(mail_directory.glob("*.eml")))
    assert not any(email.encode() in path.read_bytes() for path in files)

    # What the figures are built on stays, under the pseudonymous id.
    new_id = erasure["new_person_id"]
    async with sessionmaker() as db:
        places = await db.scalar(
            text(
                "SELECT count(*) FROM enrollment.participations WHERE person_id = :p AND status = 'confirmed'"
            ),
            {"p": new_id},
        )
        participants = await db.scalar(
            text("SELECT count(*) FROM feedback.participants WHERE person_id = :p"), {"p": new_id}
        )
        leads = await db.scalar(
            text("SELECT count(*) FROM enrollment.leader_groups WHERE leader_id = :p"), {"p": new_id}
        )
    assert (places, participants, leads) == (1, 1, 1)
    seats = await _ok(await catalog.get(f"/sessions/{session['id']}", headers=tokens.header()))
    assert seats["seats_taken"] == 1
    # Liv can no longer be found, nor sign in as anyone the services know.
    gone = await enrollment.post(
        "/privacy/erasures", json={"email": email, "reason": "igjen"}, headers=officer
    )
    assert gone.status_code == 404
    assert (await enrollment.get("/people/me", headers=liv)).status_code == 403


async def test_two_officers_erasing_one_person_at_once_erase_once(
    enrollment: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession], tokens: TokenFactory
) -> None:
    tag = uuid.uuid4().hex[:8]
    email = f"per.{tag}@oslo.kommune.no"
    record = {
        "external_id": f"E-{tag}",
        "name": "Per",
        "email": email,
        "entra_oid": devkeys.person_oid(email),
    }
    await _ok(
        await enrollment.post(
            "/directory/sync/people", json={"records": [record]}, headers=tokens.header("hr-integration")
        )
    )
    officer = tokens.header("privacy-officer")
    order = {"email": email, "reason": "Krav om sletting"}
    answers = await asyncio.gather(
        *(enrollment.post("/privacy/erasures", json=order, headers=officer) for _ in range(2))
    )
    assert sorted(a.status_code for a in answers) == [201, 404]
    async with sessionmaker() as db:
        assert await db.scalar(text("SELECT count(*) FROM enrollment.erasures")) == 1
