"""Reads and locks behind attendance and completions, and the feed's page query."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, func, select

from services.enrollment.completions.models import Completion, CompletionStatus
from services.enrollment.enrollments.models import Attendance, Enrollment, EnrollmentStatus, Participation
from services.enrollment.sessions.models import SessionStatus, SessionView
from services.kernel.database import uuid_in

_FEED = text(
    """
    SELECT f.position, f.xid::text AS xid, f.change, f.recorded_at, c.id AS completion_id,
           c.person_id, p.external_id AS person_external_id, c.offering_id,
           o.title AS offering_title, o.kind_code, c.attended_sessions, c.required_sessions,
           c.completed_at
    FROM enrollment.completion_feed f
    JOIN enrollment.completions c ON c.id = f.completion_id
    JOIN enrollment.people p ON p.id = c.person_id
    LEFT JOIN enrollment.offerings o ON o.id = c.offering_id
    WHERE (f.xid, f.position) > (CAST(CAST(:xid AS text) AS xid8), :position)
      AND f.xid < pg_snapshot_xmin(pg_current_snapshot())
    ORDER BY f.xid, f.position
    LIMIT :limit
    """
)


async def confirmed_places_for_update(
    session: AsyncSession, session_id: uuid.UUID, person_ids: Collection[uuid.UUID]
) -> list[Participation]:
    """These people's confirmed places in the session, locked in the service's lock order (id order)."""
    result = await session.execute(
        select(Participation)
        .where(
            Participation.session_id == session_id,
            Participation.status == EnrollmentStatus.confirmed,
            uuid_in(col(Participation.person_id), person_ids),
        )
        .order_by(col(Participation.id))
        .with_for_update()
    )
    return list(result.scalars().all())


async def sessions_held(session: AsyncSession, offering_id: uuid.UUID) -> int:
    """The offering's sessions that were not cancelled."""
    held = await session.scalar(
        select(func.count())
        .select_from(SessionView)
        .where(SessionView.offering_id == offering_id, SessionView.status != SessionStatus.cancelled)
    )
    return int(held or 0)


async def sessions_attended(
    session: AsyncSession, offering_id: uuid.UUID, person_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, int]:
    """How many of the offering's sessions each person attended (those with none are left out)."""
    rows = await session.execute(
        select(Participation.person_id, func.count(func.distinct(Participation.session_id)))
        .join(SessionView, col(SessionView.id) == col(Participation.session_id))
        .where(
            SessionView.offering_id == offering_id,
            Participation.attendance == Attendance.attended,
            uuid_in(col(Participation.person_id), person_ids),
        )
        .group_by(col(Participation.person_id))
    )
    return {person_id: int(count) for person_id, count in rows.all()}


async def standing_completions_for_update(
    session: AsyncSession, offering_id: uuid.UUID, person_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Completion]:
    """The completions of the offering these people hold now, locked in id order, by person."""
    rows = await session.execute(
        select(Completion)
        .where(
            Completion.offering_id == offering_id,
            Completion.status == CompletionStatus.completed,
            uuid_in(col(Completion.person_id), person_ids),
        )
        .order_by(col(Completion.id))
        .with_for_update()
    )
    return {c.person_id: c for c in rows.scalars()}


async def groups_of(
    session: AsyncSession, offering_id: uuid.UUID, person_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, uuid.UUID]:
    """The leader group each person took the offering with, if they came as a group."""
    rows = await session.execute(
        select(Participation.person_id, Enrollment.leader_group_id)
        .join(Enrollment, col(Enrollment.id) == col(Participation.enrollment_id))
        .where(
            Enrollment.offering_id == offering_id,
            col(Enrollment.leader_group_id).is_not(None),
            uuid_in(col(Participation.person_id), person_ids),
        )
    )
    return {person_id: group_id for person_id, group_id in rows.all() if group_id is not None}


async def completions_of(
    session: AsyncSession, person_id: uuid.UUID, *, limit: int, offset: int
) -> list[Completion]:
    """One person's completions, newest first, withdrawn ones included."""
    rows = await session.execute(
        select(Completion)
        .where(Completion.person_id == person_id)
        .order_by(col(Completion.completed_at).desc(), col(Completion.id))
        .limit(limit)
        .offset(offset)
    )
    return list(rows.scalars())


async def feed_after(session: AsyncSession, xid: str, position: int, limit: int) -> list[Any]:
    """Feed entries after (xid, position), only those below the oldest running transaction."""
    rows = await session.execute(_FEED, {"xid": xid, "position": position, "limit": limit})
    return list(rows.all())
