"""Two replicas of each service against one database: each event is handled once between them, and when
one replica stops, the other carries on with the work (the subscription's claim hands over)."""

from __future__ import annotations

import base64
import re
import signal
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from devtools.stack import service_process
from services.catalog.events import OfferingPublished
from services.enrollment.events import EnrollmentConfirmed
from services.kernel import database
from services.kernel.eventbus import EventPayload, publish_many
from tests.support import eventually


def confirmed_places(count: int) -> list[EventPayload]:
    session_id = uuid.uuid4()
    return [
        EnrollmentConfirmed(
            enrollment_id=(place := uuid.uuid4()),
            participation_id=place,
            session_id=session_id,
            offering_id=uuid.uuid4(),
            person_id=uuid.uuid4(),
            org_unit_id=None,
            leader_group_id=None,
            seats=1,
            session_seats_confirmed=1,
            session_seats_version=1,
        )
        for _ in range(count)
    ]


def published_offerings(count: int) -> list[EventPayload]:
    return [
        OfferingPublished(
            offering_id=uuid.uuid4(),
            kind_code="theme-gathering",
            title=f"Temasamling {n}",
            audience="all-leaders",
            audience_org_unit_ids=[],
            booking_unit="person",
            format="physical",
            is_programme=False,
            completion_min_sessions=None,
            themes=[],
            status="published",
            offering_version=1,
        )
        for n in range(count)
    ]


CASES = {
    # service: (its subscription under test, events for it, where a handled event leaves a row)
    "feedback": ("feedback.participants", confirmed_places, "feedback.participants"),
    "catalog": ("catalog.seats", confirmed_places, None),
    "enrollment": ("enrollment.offerings", published_offerings, "enrollment.offerings"),
}


def handled(metrics: str, subscription: str) -> float:
    pattern = (
        rf'eventbus_events_handled_total{{[^}}]*outcome="ok"[^}}]*subscription="{subscription}"[^}}]*}} (\S+)'
    )
    return sum(float(value) for value in re.findall(pattern, metrics))


@pytest.mark.parametrize("service", list(CASES))
async def test_two_replicas_handle_each_event_once_and_hand_over(
    service: str, isolated_database: tuple[str, AsyncEngine], process_auth: dict[str, str], tmp_path: Path
) -> None:
    database_url, engine = isolated_database
    sessionmaker = database.create_sessionmaker(engine)
    subscription, events, table = CASES[service]
    env = {
        "FEEDBACK_BALLOT_KEY": base64.urlsafe_b64encode(bytes(range(32))).decode(),
        "ENROLLMENT_MAIL_DIRECTORY": str(tmp_path / "mail"),
    }

    async def publish(count: int) -> None:
        async with sessionmaker() as session, session.begin():
            await publish_many(session, [(e, uuid.uuid4()) for e in events(count)], source="test")

    async def scrape(url: str) -> float:
        async with httpx.AsyncClient() as client:
            return handled((await client.get(f"{url}/metrics")).text, subscription)

    def reaches(read: Callable[[], Awaitable[float]], expected: float) -> Callable[[], Awaitable[bool]]:
        async def check() -> bool:
            return await read() == expected

        return check

    with (
        service_process(service, database_url, process_auth, tmp_path / "a.log", env) as (first, first_url),
        service_process(service, database_url, process_auth, tmp_path / "b.log", env) as (_, second_url),
    ):

        async def both() -> float:
            return await scrape(first_url) + await scrape(second_url)

        await publish(150)
        # Both replicas consume; between them every event is handled exactly once.
        await eventually(reaches(both, 150), within=30)
        first_share = await scrape(first_url)
        first.send_signal(signal.SIGTERM)
        first.wait(timeout=30)

        async def after_handover() -> float:
            return first_share + await scrape(second_url)

        await publish(100)
        await eventually(reaches(after_handover, 250), within=30)
    if table is not None:
        async with sessionmaker() as session:
            rows = await session.scalar(text(f"SELECT count(*) FROM {table}"))
        assert rows == 250
