"""SQL for sessions."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from services.catalog.sessions.models import CourseSession


async def add(session: AsyncSession, course_session: CourseSession) -> CourseSession:
    session.add(course_session)
    await session.flush()
    return course_session


async def get(session: AsyncSession, session_id: uuid.UUID) -> CourseSession | None:
    return await session.get(CourseSession, session_id)


async def list_sessions(
    session: AsyncSession, *, offering_id: uuid.UUID | None, limit: int, offset: int
) -> Sequence[CourseSession]:
    query = select(CourseSession).order_by(col(CourseSession.starts_at), col(CourseSession.id))
    if offering_id is not None:
        query = query.where(CourseSession.offering_id == offering_id)
    result = await session.execute(query.limit(limit).offset(offset))
    return result.scalars().all()


async def set_seats_taken(session: AsyncSession, session_id: uuid.UUID, seats: int, version: int) -> bool:
    """Store a seat count unless a newer one is already held (events may be replayed)."""
    result = await session.execute(
        update(CourseSession)
        .where(col(CourseSession.id) == session_id, col(CourseSession.seats_version) < version)
        .values(seats_taken=seats, seats_version=version)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
