"""Two replicas of the enrollment service deciding a rush on one session together: each batches its own
requests and the session's lock orders the batches, so the seats are never overbooked and every answer's
waiting-list position is where that enrollment stands."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from devtools.stack import service_process
from services.kernel import database
from tests.e2e import rush
from tests.support import TokenFactory

PEOPLE, SEATS = 160, 30


async def test_two_replicas_admit_a_rush_without_overbooking_and_with_true_positions(
    isolated_database: tuple[str, AsyncEngine],
    process_auth: dict[str, str],
    tokens: TokenFactory,
    tmp_path: Path,
) -> None:
    url, engine = isolated_database
    sessionmaker = database.create_sessionmaker(engine)
    course, people = await rush.session_and_people(sessionmaker, "rep", PEOPLE)
    async with sessionmaker() as session, session.begin():
        await session.execute(
            text("UPDATE enrollment.sessions SET capacity = :n WHERE id = :s"), {"n": SEATS, "s": course.id}
        )
    coordinator = tokens.header("coordinator")
    env = {"ENROLLMENT_MAIL_DIRECTORY": str(tmp_path / "mail")}
    with (
        service_process("enrollment", url, process_auth, tmp_path / "first.log", env) as (_, first),
        service_process("enrollment", url, process_auth, tmp_path / "second.log", env) as (_, second),
    ):
        async with httpx.AsyncClient(timeout=60) as client:

            async def enroll(index: int, person_id: uuid.UUID) -> httpx.Response:
                base = first if index % 2 else second
                return await client.post(
                    f"{base}/enrollments",
                    json={"session_id": str(course.id), "person_id": str(person_id)},
                    headers=coordinator,
                )

            answers = await asyncio.gather(*(enroll(i, p.id) for i, p in enumerate(people)))
    assert [a.status_code for a in answers] == [201] * PEOPLE
    told = {a.json()["id"]: a.json() for a in answers}
    async with sessionmaker() as session:
        stored = (
            await session.execute(
                text(
                    "SELECT id::text AS id, status FROM enrollment.enrollments WHERE session_id = :s "
                    "ORDER BY queue_rank, id"
                ),
                {"s": course.id},
            )
        ).all()
        seats = await session.scalar(
            text("SELECT seats_confirmed FROM enrollment.sessions WHERE id = :s"), {"s": course.id}
        )
        batches = await session.scalar(
            text("SELECT count(DISTINCT xmin::text) FROM enrollment.enrollments WHERE session_id = :s"),
            {"s": course.id},
        )
    assert [row.status for row in stored] == ["confirmed"] * SEATS + ["waitlisted"] * (PEOPLE - SEATS)
    assert seats == SEATS
    assert [told[row.id]["waitlist_position"] for row in stored[SEATS:]] == list(range(1, PEOPLE - SEATS + 1))
    assert batches < PEOPLE  # decided together, not one by one
