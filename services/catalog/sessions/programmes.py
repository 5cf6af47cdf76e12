"""Changing several sessions of an offering in one step: a programme moved or cancelled as a whole.

Every session changes as it would alone (its SEQUENCE rises, its history records the change, its event
is published), all in one transaction; the events share a `change_id` and list every session of the
step in `change_sessions`, so the enrollment service tells each person once about the whole change
instead of once per session.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from services.catalog.offerings import service as offerings
from services.catalog.offerings.models import Offering
from services.catalog.sessions import repository
from services.catalog.sessions.models import CourseSession, SessionStatus
from services.catalog.sessions.schemas import SessionCancel, SessionsReschedule
from services.catalog.sessions.service import (
    SessionNotFound,
    SessionNotScheduled,
    changed,
    drop,
    move,
    not_in_past,
)
from services.kernel import clock
from services.kernel.auth.tokens import Principal


async def _lock(
    session: AsyncSession, offering_id: uuid.UUID, session_ids: list[uuid.UUID]
) -> tuple[Offering, dict[uuid.UUID, CourseSession]]:
    """The sessions (in id order, then the offering: the order single-session changes lock in)."""
    locked: dict[uuid.UUID, CourseSession] = {}
    for session_id in sorted(session_ids):
        course_session = await repository.get(session, session_id, lock=True)
        if course_session is None or course_session.offering_id != offering_id:
            raise SessionNotFound(f"No session {session_id} in offering {offering_id}.")
        locked[session_id] = course_session
    return await offerings.lock_for_change(session, offering_id), locked


async def reschedule_sessions(
    session: AsyncSession, principal: Principal, offering_id: uuid.UUID, data: SessionsReschedule
) -> list[CourseSession]:
    for planned in data.sessions:
        not_in_past(planned.starts_at)
    ids = [planned.session_id for planned in data.sessions]
    offering, locked = await _lock(session, offering_id, ids)
    change = {"change_id": uuid.uuid4(), "change_sessions": ids}
    for planned in data.sessions:
        course_session = locked[planned.session_id]
        moved, details = move(
            offering, course_session, planned.starts_at, planned.ends_at, data.reason, **change
        )
        details["change_id"] = str(change["change_id"])
        await changed(
            session, principal, offering, course_session, "session-rescheduled", moved, details=details
        )
    return sorted(locked.values(), key=lambda s: s.starts_at)


async def cancel_sessions(
    session: AsyncSession, principal: Principal, offering_id: uuid.UUID, data: SessionCancel
) -> list[CourseSession]:
    """Cancel every scheduled session of the offering that has not started."""
    now = clock.now()
    upcoming = [
        s.id
        for s in await repository.for_offering(session, offering_id)
        if s.status == SessionStatus.scheduled and s.starts_at > now
    ]
    if not upcoming:
        await offerings.lock_for_change(session, offering_id)  # 404 for an unknown offering
        raise SessionNotScheduled("The offering has no scheduled session that has not started.")
    offering, locked = await _lock(session, offering_id, upcoming)
    ordered = sorted(locked.values(), key=lambda s: s.starts_at)
    change = {"change_id": uuid.uuid4(), "change_sessions": [s.id for s in ordered]}
    for course_session in ordered:
        cancelled = drop(offering, course_session, data.reason, **change)
        details = {"reason": data.reason, "change_id": str(change["change_id"])}
        await changed(
            session, principal, offering, course_session, "session-cancelled", cancelled, details=details
        )
    return ordered
