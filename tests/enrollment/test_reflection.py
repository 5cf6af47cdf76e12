"""Reflection groups through the API: the 54 top leaders of a municipality, shaped and confirmed by a
coordinator, seen by a participant, and adjusted after late changes."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.enrollment.directory.models import Person
from tests.enrollment.support import add_offering, add_session, coordinator, enroll, payloads
from tests.support import TokenFactory, create_leader, create_org_unit

SECTORS = [("Bydel", 15), ("Etat", 30), ("Byrådsavdeling", 7), ("Foretak", 2)]


async def municipality(sessionmaker: async_sessionmaker[AsyncSession]) -> list[Person]:
    """54 top leaders, each leading their own unit, in four sectors (as in Oslo)."""
    leaders = []
    async with sessionmaker() as session, session.begin():
        for sector, count in SECTORS:
            for i in range(count):
                unit = await create_org_unit(session, f"{sector} {i + 1}", sector=sector, kind="agency")
                leaders.append(
                    await create_leader(
                        session,
                        f"leder{i + 1}@{sector.lower()}.oslo.kommune.no",
                        org_unit=unit,
                        name=f"{sector} {i + 1}",
                    )
                )
    return leaders


@pytest.fixture
async def cohort(
    enrollment: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession], tokens: TokenFactory
) -> tuple[uuid.UUID, uuid.UUID, list[Person]]:
    leaders = await municipality(sessionmaker)
    async with sessionmaker() as session, session.begin():
        offering = await add_offering(
            session, kind_code="reflection-group", title="Refleksjonsgrupper 2027", audience="top-leaders"
        )
        course = await add_session(session, offering, capacity=80)
    for leader in leaders:
        await enroll(enrollment, coordinator(tokens), session_id=course.id, person_id=leader.id)
    return offering.id, course.id, leaders


async def _ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


async def test_a_coordinator_forms_shapes_and_confirms_groups(
    enrollment: httpx.AsyncClient,
    tokens: TokenFactory,
    sessionmaker: async_sessionmaker[AsyncSession],
    cohort: tuple[uuid.UUID, uuid.UUID, list[Person]],
) -> None:
    offering_id, _, leaders = cohort
    headers = coordinator(tokens)
    proposal = await _ok(
        await enrollment.post(
            f"/offerings/{offering_id}/reflection-rounds",
            json={"min_size": 5, "max_size": 7, "seed": 2027},
            headers=headers,
        ),
        201,
    )
    assert proposal["status"] == "draft"
    assert proposal["participants"] == 54
    assert [g["size"] for g in proposal["groups"]] == [6] * 9
    assert proposal["quality"]["ok"] is True
    for group in proposal["groups"]:
        assert group["sectors"]["Etat"] in (3, 4)
        assert len({m["org_unit_id"] for m in group["members"]}) == group["size"]
    again = await _ok(
        await enrollment.post(
            f"/offerings/{offering_id}/reflection-rounds",
            json={"min_size": 5, "max_size": 7, "seed": 2027},
            headers=headers,
        ),
        201,
    )
    assert [[m["person_id"] for m in g["members"]] for g in again["groups"]] == [
        [m["person_id"] for m in g["members"]] for g in proposal["groups"]
    ]
    round_url = f"/reflection-rounds/{proposal['id']}"

    # Moving two out of group 1 into group 2 breaks the size range at both ends: the quality says so.
    first, second = (m["person_id"] for m in proposal["groups"][0]["members"][:2])
    for person in (first, second):
        moved = await _ok(
            await enrollment.post(
                f"{round_url}/moves", json={"person_id": person, "group": 2}, headers=headers
            )
        )
    assert moved["quality"]["ok"] is False
    assert {(v["group"], v["size"]) for v in moved["quality"]["size_violations"]} == {(1, 4), (2, 8)}
    assert moved["version"] == proposal["version"] + 2
    for person in (first, second):
        back = await _ok(
            await enrollment.post(
                f"{round_url}/moves", json={"person_id": person, "group": 1}, headers=headers
            )
        )
    assert back["quality"]["ok"] is True
    nowhere = await enrollment.post(
        f"{round_url}/moves", json={"person_id": first, "group": 11}, headers=headers
    )
    assert nowhere.status_code == 422
    mover = first

    # Pins: two people together, two apart; a new proposal keeps them.
    a, b, c = (str(leaders[i].id) for i in (0, 20, 40))
    pinned = await _ok(
        await enrollment.put(
            f"{round_url}/pins", json={"together": [[a, b]], "apart": [[a, c]]}, headers=headers
        )
    )
    assert pinned["pins"]["together"] == [sorted([a, b])]
    reproposed = await _ok(await enrollment.post(f"{round_url}/proposal", json={"seed": 1}, headers=headers))
    where = {m["person_id"]: g["number"] for g in reproposed["groups"] for m in g["members"]}
    assert where[a] == where[b]
    assert where[a] != where[c]
    assert reproposed["quality"]["pins_broken"] == []
    stranger = await enrollment.put(
        f"{round_url}/pins", json={"together": [[a, str(uuid.uuid4())]]}, headers=headers
    )
    assert stranger.status_code == 422
    both = await enrollment.put(
        f"{round_url}/pins", json={"together": [[a, b]], "apart": [[b, a]]}, headers=headers
    )
    assert both.status_code == 422

    confirmed = await _ok(await enrollment.post(f"{round_url}/confirm", headers=headers))
    assert confirmed["status"] == "confirmed"
    (event,) = await payloads(sessionmaker, "enrollment.reflection_groups_confirmed")
    assert event["round_id"] == proposal["id"]
    assert sorted(len(g["member_ids"]) for g in event["groups"]) == [6] * 9
    refused = await enrollment.post(
        f"{round_url}/moves", json={"person_id": mover, "group": 1}, headers=headers
    )
    assert refused.status_code == 409
    assert refused.json()["type"].endswith("round-confirmed")

    # A participant sees their own group and its members, and nothing of the others.
    mine = await _ok(
        await enrollment.get("/reflection-groups/mine", headers=tokens.header(email=leaders[0].email))
    )
    (group,) = mine["items"]
    assert group["group"] == where[a]
    assert group["offering_title"] == "Refleksjonsgrupper 2027"
    assert {m["person_id"] for m in group["members"]} == {p for p, n in where.items() if n == where[a]}
    assert all(m["name"] and m["org_unit_name"] for m in group["members"])
    assert (await enrollment.get(round_url, headers=tokens.header(email=leaders[0].email))).status_code == 403


async def test_late_changes_after_confirmation_move_as_few_as_possible(
    enrollment: httpx.AsyncClient,
    tokens: TokenFactory,
    sessionmaker: async_sessionmaker[AsyncSession],
    cohort: tuple[uuid.UUID, uuid.UUID, list[Person]],
) -> None:
    offering_id, session_id, leaders = cohort
    headers = coordinator(tokens)
    created = await _ok(
        await enrollment.post(f"/offerings/{offering_id}/reflection-rounds", json={}, headers=headers), 201
    )
    round_url = f"/reflection-rounds/{created['id']}"
    await _ok(await enrollment.post(f"{round_url}/confirm", headers=headers))
    unchanged = await _ok(await enrollment.get(f"{round_url}/adjustment", headers=headers))
    assert unchanged["changes"] == []

    # Two of one group cancel; a new top leader enrolls.
    first_group = created["groups"][0]["members"]
    for member in first_group[:2]:
        mine = await _ok(
            await enrollment.get(
                "/enrollments/mine",
                headers=tokens.header(
                    email=next(p.email for p in leaders if str(p.id) == member["person_id"])
                ),
            )
        )
        await _ok(
            await enrollment.post(
                f"/enrollments/{mine['items'][0]['id']}/cancel",
                json={},
                headers=tokens.header(
                    email=next(p.email for p in leaders if str(p.id) == member["person_id"])
                ),
            )
        )
    async with sessionmaker() as session, session.begin():
        unit = await create_org_unit(session, "Foretak 3", sector="Foretak", kind="enterprise")
        newcomer = await create_leader(session, "ny@foretak.oslo.kommune.no", org_unit=unit, name="Ny Leder")
    await enroll(enrollment, coordinator(tokens), session_id=session_id, person_id=newcomer.id)

    preview = await _ok(await enrollment.get(f"{round_url}/adjustment", headers=headers))
    assert preview["applied"] is False
    left = {c["person_id"] for c in preview["changes"] if c["to_group"] is None}
    joined = [c for c in preview["changes"] if c["from_group"] is None]
    assert left == {m["person_id"] for m in first_group[:2]}
    assert [c["person_id"] for c in joined] == [str(newcomer.id)]
    # Group 1 fell to four: the newcomer joins it (the cheapest fix), so nobody else has to move.
    assert joined[0]["to_group"] == 1
    assert len(preview["changes"]) == 3
    assert preview["round"]["quality"]["ok"] is True
    stored = await _ok(await enrollment.get(round_url, headers=headers))
    assert stored["version"] == created["version"] + 1  # confirming bumped it; the preview did not

    applied = await _ok(await enrollment.post(f"{round_url}/adjustment", headers=headers))
    assert applied["applied"] is True
    assert applied["changes"] == preview["changes"]
    (event,) = await payloads(sessionmaker, "enrollment.reflection_groups_changed")
    assert len(event["changes"]) == 3
    mine = await _ok(
        await enrollment.get("/reflection-groups/mine", headers=tokens.header(email=newcomer.email))
    )
    assert mine["items"][0]["group"] == 1


async def test_only_reflection_offerings_and_coordinators(
    enrollment: httpx.AsyncClient,
    tokens: TokenFactory,
    sessionmaker: async_sessionmaker[AsyncSession],
    cohort: tuple[uuid.UUID, uuid.UUID, list[Person]],
) -> None:
    offering_id, _, leaders = cohort
    async with sessionmaker() as session, session.begin():
        other = await add_offering(session, kind_code="theme-gathering")
        empty = await add_offering(session, kind_code="reflection-group")
    wrong = await enrollment.post(
        f"/offerings/{other.id}/reflection-rounds", json={}, headers=coordinator(tokens)
    )
    assert wrong.status_code == 422
    assert wrong.json()["type"].endswith("not-reflection-groups")
    nobody = await enrollment.post(
        f"/offerings/{empty.id}/reflection-rounds", json={}, headers=coordinator(tokens)
    )
    assert nobody.status_code == 422
    assert nobody.json()["type"].endswith("no-participants")
    upside_down = await enrollment.post(
        f"/offerings/{offering_id}/reflection-rounds",
        json={"min_size": 8, "max_size": 5},
        headers=coordinator(tokens),
    )
    assert upside_down.status_code == 422
    leader = await enrollment.post(
        f"/offerings/{offering_id}/reflection-rounds", json={}, headers=tokens.header(email=leaders[0].email)
    )
    assert leader.status_code == 403
    missing = await enrollment.get(f"/reflection-rounds/{uuid.uuid4()}", headers=coordinator(tokens))
    assert missing.status_code == 404
    assert (
        await enrollment.get("/reflection-groups/mine", headers=tokens.header(email=leaders[1].email))
    ).json()["items"] == []
