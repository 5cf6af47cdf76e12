"""Coordinators' reads of many people's data are on record: who read whose, for what (docs/privacy.md)."""

from __future__ import annotations

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.enrollment.conftest import World
from tests.enrollment.support import add_offering, add_session, coordinator, enroll


async def reads(sessionmaker: async_sessionmaker[AsyncSession]) -> list[tuple[str, set[object]]]:
    async with sessionmaker() as session:
        rows = await session.execute(
            text("SELECT purpose, subject_ids FROM enrollment.personal_data_reads ORDER BY id")
        )
        return [(row.purpose, set(row.subject_ids)) for row in rows]


async def test_people_search_and_waiting_lists_are_recorded(
    enrollment: httpx.AsyncClient, world: World, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async with sessionmaker() as session, session.begin():
        course = await add_session(session, await add_offering(session), capacity=1)
    await enroll(enrollment, world.as_(world.leader), session_id=course.id)
    await enroll(enrollment, world.as_(world.other_leader), session_id=course.id)
    found = await enrollment.get("/people", params={"q": "Ola"}, headers=coordinator(world.tokens))
    assert [p["name"] for p in found.json()["items"]] == ["Ola"]
    waiting = await enrollment.get(f"/sessions/{course.id}/waiting-list", headers=coordinator(world.tokens))
    assert len(waiting.json()["items"]) == 1
    assert await reads(sessionmaker) == [
        ("people search", {world.leader.id}),
        ("waiting list", {world.other_leader.id}),
    ]
    # A person reading their own record is not a bulk read.
    await enrollment.get("/people/me", headers=world.as_(world.leader))
    assert len(await reads(sessionmaker)) == 2
