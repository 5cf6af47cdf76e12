"""SQL for coaches, coaching requests, their history and sessions."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from services.enrollment.coaching.models import (
    COUNTED_STATES,
    Coach,
    CoachingRequest,
    CoachingRequestChange,
    CoachingSession,
    RequestState,
)


async def add(
    session: AsyncSession, row: Coach | CoachingRequest | CoachingRequestChange | CoachingSession
) -> None:
    session.add(row)
    await session.flush()


async def add_request(session: AsyncSession, request: CoachingRequest) -> bool:
    """Add the request; False if the leader has an open one for the offering already."""
    try:
        async with session.begin_nested():
            session.add(request)
    except IntegrityError as error:
        if getattr(error.orig, "sqlstate", None) == "23505":
            return False
        raise
    return True


async def coaches(session: AsyncSession) -> Sequence[Coach]:
    result = await session.execute(select(Coach).order_by(col(Coach.name), col(Coach.id)))
    return result.scalars().all()


async def get_coach(session: AsyncSession, coach_id: uuid.UUID) -> Coach | None:
    return await session.get(Coach, coach_id)


async def coach_by_oid(session: AsyncSession, oid: str) -> Coach | None:
    result = await session.execute(select(Coach).where(Coach.entra_oid == oid, col(Coach.active)))
    return result.scalar_one_or_none()


async def coach_with_oid(session: AsyncSession, oid: str) -> Coach | None:
    result = await session.execute(select(Coach).where(Coach.entra_oid == oid))
    return result.scalar_one_or_none()


async def load(
    session: AsyncSession, coach_ids: Sequence[uuid.UUID], terms: Sequence[str]
) -> dict[tuple[uuid.UUID, str], int]:
    """Requests each coach's capacity counts in each term."""
    result = await session.execute(
        select(CoachingRequest.coach_id, CoachingRequest.term, func.count())
        .where(
            col(CoachingRequest.coach_id).in_(coach_ids),
            col(CoachingRequest.term).in_(terms),
            col(CoachingRequest.state).in_([s.value for s in COUNTED_STATES])
            | col(CoachingRequest.id).in_(select(CoachingSession.request_id)),
        )
        .group_by(col(CoachingRequest.coach_id), col(CoachingRequest.term))
    )
    return {(coach_id, term): count for coach_id, term, count in result.all()}


async def open_requests(session: AsyncSession, coach_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
    """Requests assigned to each coach and not yet ended."""
    result = await session.execute(
        select(CoachingRequest.coach_id, func.count())
        .where(
            col(CoachingRequest.coach_id).in_(coach_ids),
            col(CoachingRequest.state).in_([RequestState.assigned.value, RequestState.scheduled.value]),
        )
        .group_by(col(CoachingRequest.coach_id))
    )
    return {row[0]: row[1] for row in result.all()}


async def get(session: AsyncSession, request_id: uuid.UUID, *, lock: bool = False) -> CoachingRequest | None:
    query = select(CoachingRequest).where(CoachingRequest.id == request_id)
    if lock:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def requests(
    session: AsyncSession,
    *,
    person_id: uuid.UUID | None = None,
    coach_id: uuid.UUID | None = None,
    states: Sequence[RequestState] = (),
    limit: int,
    offset: int,
) -> Sequence[CoachingRequest]:
    """Newest first; `person_id` and `coach_id` together: the person's own or assigned to the coach."""
    query = select(CoachingRequest)
    if person_id is not None and coach_id is not None:
        query = query.where((CoachingRequest.person_id == person_id) | (CoachingRequest.coach_id == coach_id))
    elif person_id is not None:
        query = query.where(CoachingRequest.person_id == person_id)
    elif coach_id is not None:
        query = query.where(CoachingRequest.coach_id == coach_id)
    if states:
        query = query.where(col(CoachingRequest.state).in_([s.value for s in states]))
    query = query.order_by(col(CoachingRequest.created_at).desc(), col(CoachingRequest.id).desc())
    result = await session.execute(query.limit(limit).offset(offset))
    return result.scalars().all()


async def history(
    session: AsyncSession, request_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[CoachingRequestChange]]:
    result = await session.execute(
        select(CoachingRequestChange)
        .where(col(CoachingRequestChange.request_id).in_(request_ids))
        .order_by(col(CoachingRequestChange.id))
    )
    changes: dict[uuid.UUID, list[CoachingRequestChange]] = defaultdict(list)
    for change in result.scalars().all():
        changes[change.request_id].append(change)
    return changes


async def sessions_of(
    session: AsyncSession, request_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[CoachingSession]]:
    result = await session.execute(
        select(CoachingSession).where(col(CoachingSession.request_id).in_(request_ids))
    )
    booked: dict[uuid.UUID, list[CoachingSession]] = defaultdict(list)
    for row in result.scalars().all():
        booked[row.request_id].append(row)
    return booked


async def coaching_session(session: AsyncSession, session_id: uuid.UUID) -> CoachingSession | None:
    result = await session.execute(select(CoachingSession).where(CoachingSession.session_id == session_id))
    return result.scalar_one_or_none()
