"""Audience facts are published for exactly the people a directory change altered, with their units."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from devtools import devkeys
from tests.enrollment.support import payloads
from tests.support import TokenFactory

TOPIC = "enrollment.audience_changed"


async def _sync(
    enrollment: httpx.AsyncClient, tokens: TokenFactory, resource: str, records: list[Any]
) -> None:
    answer = await enrollment.post(
        f"/directory/sync/{resource}", json={"records": records}, headers=tokens.header("hr-integration")
    )
    assert answer.status_code == 200, answer.text


def _person(n: int, unit: str) -> dict[str, Any]:
    email = f"ansatt{n}@oslo.kommune.no"
    return {
        "external_id": f"E{n}",
        "name": f"Ansatt {n}",
        "email": email,
        "org_unit_external_id": unit,
        "entra_oid": devkeys.person_oid(email),
    }


async def test_a_change_publishes_the_facts_of_those_it_altered_only(
    enrollment: httpx.AsyncClient, tokens: TokenFactory, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    units = [
        {"external_id": "oslo", "name": "Oslo kommune", "kind": "other", "sector": "Kommunen"},
        {"external_id": "bym", "name": "Bymiljøetaten", "kind": "agency", "sector": "Miljø"},
        {"external_id": "uke", "name": "UKE", "kind": "agency", "sector": "Digitalisering"},
    ]
    await _sync(enrollment, tokens, "org-units", units)
    await _sync(enrollment, tokens, "people", [_person(1, "bym"), _person(2, "uke")])
    first = await payloads(sessionmaker, TOPIC)
    assert sorted(p["entra_oid"] for p in first) == sorted(
        devkeys.person_oid(f"ansatt{n}@oslo.kommune.no") for n in (1, 2)
    )
    assert all(p["leads_group"] is False and p["groups"] == [] for p in first)

    await _sync(enrollment, tokens, "people", [_person(1, "bym"), _person(2, "uke")])
    assert len(await payloads(sessionmaker, TOPIC)) == 2  # nothing changed, nothing published

    # Bymiljøetaten moves under Oslo kommune: only its employee's units changed.
    await _sync(enrollment, tokens, "org-units", [{**units[1], "parent_external_id": "oslo"}])
    moved = (await payloads(sessionmaker, TOPIC))[2:]
    assert [p["entra_oid"] for p in moved] == [devkeys.person_oid("ansatt1@oslo.kommune.no")]
    assert len(moved[0]["units"]) == 2

    # Employee 2 becomes a top leader: they lead a group, whose units travel with it.
    group = {
        "external_id": "tlg-uke",
        "name": "Toppledergruppen UKE",
        "org_unit_external_id": "uke",
        "leader_external_id": "E2",
        "members": [{"person_external_id": "E1", "role_title": "Direktør"}],
    }
    await _sync(enrollment, tokens, "leader-groups", [group])
    led = {p["entra_oid"]: p for p in (await payloads(sessionmaker, TOPIC))[3:]}
    leader = led[devkeys.person_oid("ansatt2@oslo.kommune.no")]
    assert (leader["leads_group"], leader["leader"], len(leader["groups"])) == (True, True, 1)
    member = led[devkeys.person_oid("ansatt1@oslo.kommune.no")]
    assert (member["leads_group"], member["leader"]) == (False, True)
