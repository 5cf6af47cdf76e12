"""Two replicas of a service against one database: each event is handled once, and when one replica
stops, the other carries on with the work."""

from __future__ import annotations

import base64
import re
import signal
import uuid
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from services.enrollment.events import EnrollmentConfirmed
from services.kernel import database
from services.kernel.eventbus import publish_many
from tests.e2e.stack import service_process
from tests.support import eventually

SUBSCRIPTION = "feedback.participants"


def handled(metrics: str) -> float:
    pattern = (
        rf'eventbus_events_handled_total{{[^}}]*outcome="ok"[^}}]*subscription="{SUBSCRIPTION}"[^}}]*}} (\S+)'
    )
    return sum(float(value) for value in re.findall(pattern, metrics))


def places(session_id: uuid.UUID, count: int) -> list[tuple[EnrollmentConfirmed, uuid.UUID]]:
    items = []
    for _ in range(count):
        enrollment = uuid.uuid4()
        payload = EnrollmentConfirmed(
            enrollment_id=enrollment,
            participation_id=enrollment,
            session_id=session_id,
            offering_id=uuid.uuid4(),
            person_id=uuid.uuid4(),
            org_unit_id=None,
            leader_group_id=None,
            seats=1,
            session_seats_confirmed=1,
            session_seats_version=1,
        )
        items.append((payload, enrollment))
    return items


async def test_two_replicas_handle_each_event_once_and_hand_over(
    isolated_database: tuple[str, AsyncEngine], auth_settings: dict[str, Any], tmp_path: Path
) -> None:
    database_url, engine = isolated_database
    sessionmaker = database.create_sessionmaker(engine)
    auth = {k: str(v) for k, v in auth_settings.items() if k != "log_format"}
    key = {"FEEDBACK_BALLOT_KEY": base64.urlsafe_b64encode(bytes(range(32))).decode()}
    session_id = uuid.uuid4()

    async def publish(count: int) -> None:
        async with sessionmaker() as session, session.begin():
            await publish_many(session, places(session_id, count), source="enrollment")

    async def participants() -> int:
        async with sessionmaker() as session:
            found = await session.scalar(
                text("SELECT count(*) FROM feedback.participants WHERE session_id = :s"), {"s": session_id}
            )
        return int(found or 0)

    async def scrape(url: str) -> float:
        async with httpx.AsyncClient() as client:
            return handled((await client.get(f"{url}/metrics")).text)

    with (
        service_process("feedback", database_url, auth, tmp_path / "a.log", key) as (first, first_url),
        service_process("feedback", database_url, auth, tmp_path / "b.log", key) as (_, second_url),
    ):
        before = await scrape(first_url) + await scrape(second_url)
        await publish(150)
        await eventually(lambda: _equals(participants, 150), within=30)
        # Both replicas consume the subscription; between them each event was handled exactly once.
        assert await scrape(first_url) + await scrape(second_url) - before == 150
        first_count = await scrape(first_url)

        first.send_signal(signal.SIGTERM)
        first.wait(timeout=30)
        await publish(100)
        await eventually(lambda: _equals(participants, 250), within=30)
        assert first_count + await scrape(second_url) - before == 250
    async with sessionmaker() as session:
        duplicates = await session.scalar(
            text(
                "SELECT count(*) FROM (SELECT participation_id FROM feedback.participants "
                "WHERE session_id = :s GROUP BY 1 HAVING count(*) > 1) d"
            ),
            {"s": session_id},
        )
    assert duplicates == 0


async def _equals(read: Any, expected: int) -> bool:
    return bool(await read() == expected)
