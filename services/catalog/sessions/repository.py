"""SQL for sessions."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import exists, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from services.catalog.sessions.models import CourseSession, SessionStatus


async def add(session: AsyncSession, course_session: CourseSession) -> CourseSession:
    session.add(course_session)
    await session.flush()
    return course_session


async def get(session: AsyncSession, session_id: uuid.UUID, *, lock: bool = False) -> CourseSession | None:
    query = select(CourseSession).where(CourseSession.id == session_id)
    if lock:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def for_offering(session: AsyncSession, offering_id: uuid.UUID) -> Sequence[CourseSession]:
    result = await session.execute(
        select(CourseSession)
        .where(CourseSession.offering_id == offering_id)
        .order_by(col(CourseSession.starts_at), col(CourseSession.id))
    )
    return result.scalars().all()


async def has_upcoming(session: AsyncSession, offering_id: uuid.UUID, now: datetime) -> bool:
    query = select(
        exists().where(
            col(CourseSession.offering_id) == offering_id,
            col(CourseSession.status) == SessionStatus.scheduled,
            col(CourseSession.starts_at) > now,
        )
    )
    return bool((await session.execute(query)).scalar())


async def next_position(session: AsyncSession, offering_id: uuid.UUID) -> int:
    result = await session.execute(
        select(col(CourseSession.position))
        .where(CourseSession.offering_id == offering_id)
        .order_by(col(CourseSession.position).desc().nulls_last())
    )
    highest = result.scalars().first()
    return (highest or 0) + 1


async def set_seats_taken(session: AsyncSession, session_id: uuid.UUID, seats: int, version: int) -> bool:
    """Store a seat count unless a newer one is already held (events may be replayed)."""
    result = await session.execute(
        update(CourseSession)
        .where(col(CourseSession.id) == session_id, col(CourseSession.seats_version) < version)
        .values(seats_taken=seats, seats_version=version)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def set_seats_taken_many(session: AsyncSession, counts: Sequence[tuple[uuid.UUID, int, int]]) -> None:
    """`set_seats_taken` for many (session, seats, version) at once: per session only the newest count is
    stored, unless a newer one is already held."""
    await session.execute(
        text(
            """
            UPDATE catalog.sessions s SET seats_taken = newest.seats, seats_version = newest.version
            FROM (SELECT DISTINCT ON (id) id, seats, version
                  FROM unnest(CAST(:ids AS uuid[]), CAST(:seats AS int[]), CAST(:versions AS bigint[]))
                       AS given(id, seats, version)
                  ORDER BY id, version DESC) newest
            WHERE s.id = newest.id AND s.seats_version < newest.version
            """
        ),
        {
            "ids": [session_id for session_id, _, _ in counts],
            "seats": [seats for _, seats, _ in counts],
            "versions": [version for _, _, version in counts],
        },
    )
