"""Attendance marked in bulk leads to completion by the offering's rule, and the HR feed never misses
or repeats a completion, even while new ones are written."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.enrollment.completions.models import CompletionFeedEntry
from tests.enrollment.conftest import World
from tests.enrollment.support import add_offering, add_session, coordinator, enroll, move_to_past, payloads
from tests.support import eventually


async def mark(
    enrollment: httpx.AsyncClient, world: World, session_id: Any, marks: dict[Any, str], expect: int = 200
) -> httpx.Response:
    response = await enrollment.put(
        f"/sessions/{session_id}/attendance",
        json={"records": [{"person_id": str(p), "attendance": a} for p, a in marks.items()]},
        headers=coordinator(world.tokens),
    )
    assert response.status_code == expect, response.text
    return response


async def feed(enrollment: httpx.AsyncClient, world: World, cursor: str | None = None) -> dict[str, Any]:
    params = {"cursor": cursor} if cursor else {}
    response = await enrollment.get(
        "/completions/feed", params=params, headers=world.tokens.header("hr-integration")
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def feed_when(
    enrollment: httpx.AsyncClient, world: World, cursor: str | None = None, *, items: int
) -> dict[str, Any]:
    """The feed once it shows `items` entries: an entry waits below any older transaction still running
    (the service's own consumers run beside the test), so it appears when that one ends."""

    async def ready() -> dict[str, Any] | None:
        page = await feed(enrollment, world, cursor)
        return page if len(page["items"]) >= items else None

    return await eventually(ready)


async def test_attendance_leads_to_completion_by_the_rule_and_corrections_withdraw_it(
    enrollment: httpx.AsyncClient, world: World, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async with sessionmaker() as session, session.begin():
        programme = await add_offering(
            session, audience="top-leader-groups", is_programme=True, completion_min_sessions=2
        )
        sessions = [await add_session(session, programme, days=10 + n) for n in range(3)]
    await enroll(
        enrollment, world.as_(world.leader), offering_id=programme.id, leader_group_id=world.group.id
    )
    early = await mark(enrollment, world, sessions[0].id, {world.leader.id: "attended"}, expect=409)
    assert early.json()["type"] == "urn:problem:session-not-started"
    await move_to_past(sessionmaker, sessions[0].id, sessions[1].id)

    ola, kari = world.leader.id, world.members[0].id
    first = await mark(enrollment, world, sessions[0].id, {ola: "attended", kari: "attended"})
    assert {r["attendance"] for r in first.json()} == {"attended"}
    assert (await feed(enrollment, world))["items"] == []  # one of two sessions: not yet
    await mark(enrollment, world, sessions[1].id, {ola: "attended", kari: "excused"})
    page = await feed_when(enrollment, world, items=1)
    assert [
        (i["person_id"], i["change"], i["attended_sessions"], i["required_sessions"]) for i in page["items"]
    ] == [(str(ola), "completed", 2, 2)]
    assert page["items"][0]["person_external_id"] == world.leader.external_id
    assert page["items"][0]["offering_title"] == programme.title
    assert (await feed(enrollment, world, page["next_cursor"]))["items"] == []

    # Marking the same again changes nothing and records nothing twice.
    await mark(enrollment, world, sessions[1].id, {ola: "attended"})
    # A correction: Ola was absent after all. The completion is withdrawn, and the feed says so.
    await mark(enrollment, world, sessions[1].id, {ola: "absent"})
    later = await feed_when(enrollment, world, page["next_cursor"], items=1)
    assert [(i["person_id"], i["change"]) for i in later["items"]] == [(str(ola), "withdrawn")]
    mine = (await enrollment.get("/completions/mine", headers=world.as_(world.leader))).json()["items"]
    assert [(c["status"], c["attended_sessions"]) for c in mine] == [("withdrawn", 1)]

    topics = [
        p["attended_sessions"] for p in await payloads(sessionmaker, "enrollment.participation_completed")
    ]
    assert topics == [2]
    assert len(await payloads(sessionmaker, "enrollment.completion_withdrawn")) == 1
    recorded = await payloads(sessionmaker, "enrollment.attendance_recorded")
    assert [len(r["records"]) for r in recorded] == [2, 2, 1]  # the unchanged repeat published nothing

    not_there = await mark(enrollment, world, sessions[0].id, {world.employee.id: "attended"}, expect=400)
    assert not_there.json()["type"] == "urn:problem:not-on-roster"
    assert not_there.json()["person_ids"] == [str(world.employee.id)]


async def test_a_gathering_completes_with_its_one_session(
    enrollment: httpx.AsyncClient, world: World, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async with sessionmaker() as session, session.begin():
        gathering = await add_session(session, await add_offering(session))
    await enroll(enrollment, world.as_(world.leader), session_id=gathering.id)
    await move_to_past(sessionmaker, gathering.id)
    await mark(enrollment, world, gathering.id, {world.leader.id: "attended"})
    [item] = (await feed_when(enrollment, world, items=1))["items"]
    assert (item["change"], item["required_sessions"]) == ("completed", 1)


async def test_the_feed_never_skips_an_entry_that_commits_late(
    enrollment: httpx.AsyncClient, world: World, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """A writer that started first but commits last must not be skipped by a cursor that moved past a
    later writer's entry: entries above the oldest running transaction are held back until it ends."""
    async with sessionmaker() as session, session.begin():
        gathering = await add_session(session, await add_offering(session))
    await enroll(enrollment, world.as_(world.leader), session_id=gathering.id)
    await enroll(enrollment, world.as_(world.other_leader), session_id=gathering.id)
    await move_to_past(sessionmaker, gathering.id)
    async with sessionmaker() as session, session.begin():
        # Two completions to attach feed entries to, written the normal way.
        await mark(
            enrollment, world, gathering.id, {world.leader.id: "attended", world.other_leader.id: "attended"}
        )
        ids = list(
            (
                await session.execute(text("SELECT id FROM enrollment.completions ORDER BY person_id"))
            ).scalars()
        )
    seen = await feed_when(enrollment, world, items=2)
    assert len(seen["items"]) == 2

    slow = sessionmaker()
    await slow.begin()
    slow.add(CompletionFeedEntry(completion_id=ids[0], change="completed"))
    await slow.flush()  # the slow writer holds the lower transaction id and has not committed
    async with sessionmaker() as fast, fast.begin():
        fast.add(CompletionFeedEntry(completion_id=ids[1], change="completed"))
    held_back = await feed(enrollment, world, seen["next_cursor"])
    assert held_back["items"] == []
    assert held_back["next_cursor"] == seen["next_cursor"]
    await slow.commit()
    await slow.close()
    both = await feed_when(enrollment, world, seen["next_cursor"], items=2)
    assert [i["completion_id"] for i in both["items"]] == [str(ids[0]), str(ids[1])]
    assert (await feed(enrollment, world, both["next_cursor"]))["items"] == []


async def test_feed_access_and_bad_cursors(enrollment: httpx.AsyncClient, world: World) -> None:
    response = await enrollment.get("/completions/feed", headers=coordinator(world.tokens))
    assert response.status_code == 403
    for cursor in ("not-a-cursor", "MTIzLmFiYw", "%%%"):
        bad = await enrollment.get(
            "/completions/feed", params={"cursor": cursor}, headers=world.tokens.header("hr-integration")
        )
        assert (bad.status_code, bad.json()["type"]) == (400, "urn:problem:invalid-cursor"), cursor
