"""SQL for enrolments and the session rows they lock."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from services.enrollment.directory.models import Person
from services.enrollment.enrollments.models import Enrollment, EnrollmentStatus
from services.enrollment.sessions.models import SessionView
from services.kernel.database import uuid_in


async def lock_session(session: AsyncSession, session_id: uuid.UUID) -> SessionView | None:
    """Lock the session row: enrolments in one session are decided one at a time (no overbooking)."""
    result = await session.execute(select(SessionView).where(SessionView.id == session_id).with_for_update())
    return result.scalar_one_or_none()


async def active_for(session: AsyncSession, session_id: uuid.UUID, person_id: uuid.UUID) -> Enrollment | None:
    result = await session.execute(
        select(Enrollment).where(
            Enrollment.session_id == session_id,
            Enrollment.person_id == person_id,
            Enrollment.status == EnrollmentStatus.confirmed.value,
        )
    )
    return result.scalar_one_or_none()


async def add(session: AsyncSession, enrollment: Enrollment) -> Enrollment:
    session.add(enrollment)
    await session.flush()
    return enrollment


async def get(session: AsyncSession, enrollment_id: uuid.UUID) -> Enrollment | None:
    return await session.get(Enrollment, enrollment_id)


async def get_person(session: AsyncSession, person_id: uuid.UUID) -> Person | None:
    return await session.get(Person, person_id)


async def list_for_person(
    session: AsyncSession, person_id: uuid.UUID, *, limit: int, offset: int
) -> Sequence[Enrollment]:
    result = await session.execute(
        select(Enrollment)
        .where(Enrollment.person_id == person_id)
        .order_by(col(Enrollment.created_at).desc(), col(Enrollment.id))
        .limit(limit)
        .offset(offset)
    )
    return result.scalars().all()


async def future_confirmed_for(
    session: AsyncSession, person_ids: Sequence[uuid.UUID], now: datetime
) -> Sequence[Enrollment]:
    """Confirmed enrolments of these people in sessions that have not started."""
    result = await session.execute(
        select(Enrollment)
        .join(SessionView, col(SessionView.id) == col(Enrollment.session_id))
        .where(
            uuid_in(col(Enrollment.person_id), person_ids),
            Enrollment.status == EnrollmentStatus.confirmed.value,
            col(SessionView.starts_at) > now,
        )
        .order_by(col(Enrollment.session_id), col(Enrollment.id))
    )
    return result.scalars().all()
