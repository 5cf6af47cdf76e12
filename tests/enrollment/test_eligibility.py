"""Whether the signed-in person may enroll, asked for a listing's page at once, with the refusing rule."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.enrollment.conftest import World
from tests.enrollment.support import add_offering


async def _ask(enrollment: httpx.AsyncClient, headers: dict[str, str], *ids: Any) -> dict[str, Any]:
    response = await enrollment.get(
        "/offerings/eligibility", params=[("offering_id", str(i)) for i in ids], headers=headers
    )
    assert response.status_code == 200, response.text
    return {item["offering_id"]: item for item in response.json()["items"]}


async def test_each_offering_says_who_may_enroll_and_which_rule_refuses(
    enrollment: httpx.AsyncClient, world: World, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async with sessionmaker() as session, session.begin():
        reflection = await add_offering(session, audience="top-leaders")
        everyone = await add_offering(session, audience="all-leaders")
        development = await add_offering(session, audience="top-leader-groups", booking_unit="group")
        uke_only = await add_offering(session, audience="org-units", audience_org_unit_ids=[world.uke.id])
        draft = await add_offering(session, status="draft")
    ids = [reflection.id, everyone.id, development.id, uke_only.id, draft.id]

    employee = await _ask(enrollment, world.as_(world.employee), *ids)
    assert list(employee) == [str(i) for i in ids]  # in the order asked
    assert employee[str(reflection.id)]["person"] == {
        "may_enroll": False,
        "rule": "top-leaders-only",
        "detail": "This offering admits top leaders only.",
    }
    assert employee[str(everyone.id)]["person"]["rule"] == "leaders-only"
    assert employee[str(uke_only.id)]["person"]["rule"] == "named-org-units"
    assert employee[str(draft.id)]["person"]["rule"] == "offering-not-open"
    assert all(item["groups"] == [] for item in employee.values())  # leads no group

    leader = await _ask(enrollment, world.as_(world.leader), *ids)
    assert leader[str(reflection.id)]["person"] == {"may_enroll": True, "rule": None, "detail": None}
    [group] = leader[str(reflection.id)]["groups"]
    assert (group["leader_group_id"], group["rule"]) == (str(world.group.id), "top-leaders-individually")
    assert leader[str(development.id)]["person"]["rule"] == "booked-per-group"
    assert leader[str(development.id)]["groups"][0]["may_enroll"] is True
    assert leader[str(uke_only.id)]["groups"][0]["rule"] == "named-org-units"

    stranger = await _ask(enrollment, world.tokens.header(email="ukjent@oslo.kommune.no"), everyone.id)
    assert stranger[str(everyone.id)]["person"]["rule"] == "not-in-directory"


async def test_between_one_and_a_hundred_offerings_are_judged_at_once(
    enrollment: httpx.AsyncClient, world: World
) -> None:
    none = await enrollment.get("/offerings/eligibility", headers=world.as_(world.employee))
    assert none.status_code == 422
    many: list[tuple[str, str | int | float | bool | None]] = [
        ("offering_id", f"00000000-0000-0000-0000-{n:012d}") for n in range(101)
    ]
    too_many = await enrollment.get("/offerings/eligibility", params=many, headers=world.as_(world.employee))
    assert too_many.status_code == 422
    assert (await enrollment.get("/offerings/eligibility", params=many[:1])).status_code == 401
