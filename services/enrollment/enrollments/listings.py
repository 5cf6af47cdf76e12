"""What the enrollment endpoints list, read-only: a person's enrollments and a group's with their sessions
and offering titles, an enrollment's audit trail, and a session's roster."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import or_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from services.enrollment.directory.models import Person
from services.enrollment.enrollments.models import (
    Enrollment,
    EnrollmentAudit,
    Participation,
)
from services.enrollment.offerings.models import OfferingView
from services.enrollment.sessions.models import SessionView
from services.kernel.database import uuid_in
from services.kernel.languages import Language, pick

# Key space of the advisory locks that queue requests for a session ("ENRL"; see `lock_sessions`).


async def for_person(
    session: AsyncSession, person_id: uuid.UUID, *, limit: int, offset: int
) -> list[Enrollment]:
    """Enrollments in which the person has a place (or had one), newest first."""
    mine = select(Participation.enrollment_id).where(Participation.person_id == person_id)
    result = await session.execute(
        select(Enrollment)
        .where(or_(col(Enrollment.id).in_(mine), col(Enrollment.person_id) == person_id))
        .order_by(col(Enrollment.created_at).desc(), col(Enrollment.id))
        .limit(limit)
        .offset(offset)
    )
    return list(result.scalars().all())


async def sessions_of(
    session: AsyncSession, session_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, SessionView]:
    """The read model's sessions by id (no lock: for showing them)."""
    ids = list(set(session_ids))
    if not ids:
        return {}
    rows = await session.execute(select(SessionView).where(uuid_in(col(SessionView.id), ids)))
    return {row.id: row for row in rows.scalars()}


async def offering_titles(
    session: AsyncSession, offering_ids: Iterable[uuid.UUID], language: Language = Language.nb
) -> dict[uuid.UUID, str]:
    """The offerings' titles in `language` (English where the offering has an English title)."""
    ids = list(set(offering_ids))
    if not ids:
        return {}
    rows = await session.execute(
        select(OfferingView.id, OfferingView.title, OfferingView.title_en).where(
            uuid_in(col(OfferingView.id), ids)
        )
    )
    return {row.id: pick(language, row.title, row.title_en) for row in rows}


async def for_group(
    session: AsyncSession, group_id: uuid.UUID, *, limit: int, offset: int
) -> list[Enrollment]:
    result = await session.execute(
        select(Enrollment)
        .where(Enrollment.leader_group_id == group_id)
        .order_by(col(Enrollment.created_at).desc(), col(Enrollment.id))
        .limit(limit)
        .offset(offset)
    )
    return list(result.scalars().all())


async def audit_of(session: AsyncSession, enrollment_id: uuid.UUID) -> list[EnrollmentAudit]:
    result = await session.execute(
        select(EnrollmentAudit)
        .where(EnrollmentAudit.enrollment_id == enrollment_id)
        .order_by(col(EnrollmentAudit.id))
    )
    return list(result.scalars().all())


async def roster(
    session: AsyncSession, session_id: uuid.UUID
) -> list[tuple[Participation, Person, Enrollment]]:
    """Everyone with a place in the session, confirmed first, then waiting, then cancelled; by name."""
    order = {"confirmed": 0, "waitlisted": 1, "cancelled": 2}
    result = await session.execute(
        select(Participation, Person, Enrollment)
        .join(Person, col(Person.id) == col(Participation.person_id))
        .join(Enrollment, col(Enrollment.id) == col(Participation.enrollment_id))
        .where(Participation.session_id == session_id)
    )
    rows = [(p, person, e) for p, person, e in result.all()]
    rows.sort(key=lambda r: (order.get(r[0].status, 3), r[1].name, str(r[1].id)))
    return rows
