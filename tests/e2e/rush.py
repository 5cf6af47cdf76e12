"""What the process-level fault tests share: a session with room for everyone, people to enroll, one
enrollment request whose outcome is a status or the transport error, and the notifications not yet mailed."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.enrollment.directory.models import Person
from services.enrollment.sessions.models import SessionView
from tests.enrollment.support import add_offering, add_session
from tests.support import create_person


async def session_and_people(
    sessionmaker: async_sessionmaker[AsyncSession], prefix: str, count: int
) -> tuple[SessionView, list[Person]]:
    tag = uuid.uuid4().hex[:8]
    async with sessionmaker() as session, session.begin():
        course = await add_session(session, await add_offering(session, title=f"Fagdag {tag}"), capacity=1000)
        people = [
            await create_person(session, f"{prefix}{i}-{tag}@uke.oslo.kommune.no") for i in range(count)
        ]
    return course, people


async def enroll(
    client: httpx.AsyncClient, session_id: uuid.UUID, person_id: uuid.UUID, headers: dict[str, str]
) -> int | str:
    """The answer's status, or the name of the transport error when there was no answer."""
    try:
        response = await client.post(
            "/enrollments", json={"session_id": str(session_id), "person_id": str(person_id)}, headers=headers
        )
    except httpx.TransportError as error:
        return type(error).__name__
    return response.status_code


async def unmailed(
    sessionmaker: async_sessionmaker[AsyncSession], session_id: uuid.UUID, handled: Iterable[str] = ("sent",)
) -> int:
    """Notifications about the session without a mail delivery in one of the `handled` states."""
    async with sessionmaker() as session:
        found = await session.scalar(
            text(
                "SELECT count(*) FROM eventbus.events e "
                "WHERE e.topic = 'enrollment.notification_requested' "
                "AND e.payload->'data'->>'session_id' = :s AND NOT EXISTS (SELECT 1 FROM "
                "enrollment.mail_deliveries d WHERE d.event_id = e.event_id AND d.status = ANY(:handled))"
            ),
            {"s": str(session_id), "handled": list(handled)},
        )
    return int(found or 0)
