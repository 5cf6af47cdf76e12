"""A session's enrollment as coordinators run it: its counts at a glance, and pausing and resuming it.

A paused session refuses new enrollments (`409 enrollment-paused`) from the next request the service
decides: the pause is written under the session's lock, which every decision takes. Everything else goes
on: cancellations, and promotions from the waiting list into seats that free up. The session row keeps who
paused it, when and why until it is resumed.
"""

from __future__ import annotations

import logging
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from services.enrollment.enrollments import repository
from services.enrollment.enrollments.problems import SessionNotFound
from services.enrollment.enrollments.schemas import EnrollmentStatePublic
from services.enrollment.sessions.models import SessionView
from services.kernel import clock
from services.kernel.auth.tokens import Principal
from services.kernel.problems import Conflict
from services.kernel.schemas import oslo_iso

log = logging.getLogger(__name__)


class EnrollmentPaused(Conflict):
    slug = "enrollment-paused"
    title = "Enrollment in the session is paused"


def refuse_if_paused(sessions: list[SessionView]) -> None:
    """Refuse a new enrollment in these (locked) sessions if a coordinator paused one of them."""
    paused = next((s for s in sessions if s.enrollment_paused_at is not None), None)
    if paused is not None:
        assert paused.enrollment_paused_at is not None
        raise EnrollmentPaused(
            "A coordinator has paused enrollment in this session"
            + (f": {paused.enrollment_pause_reason}" if paused.enrollment_pause_reason else "."),
            extra={"session_id": str(paused.id), "paused_at": oslo_iso(paused.enrollment_paused_at)},
        )


async def state(session: AsyncSession, session_id: uuid.UUID) -> EnrollmentStatePublic:
    course = await repository.get_session(session, session_id)
    if course is None:
        raise SessionNotFound(f"No session {session_id}.")
    return await _public(session, course)


async def pause(
    session: AsyncSession, principal: Principal, session_id: uuid.UUID, reason: str
) -> EnrollmentStatePublic:
    """Pause enrollment in the session; pausing a paused session changes nothing."""
    course = await _locked(session, session_id)
    if course.enrollment_paused_at is None:
        course.enrollment_paused_at = clock.now()
        course.enrollment_paused_by_oid = principal.oid
        course.enrollment_pause_reason = reason
        await session.flush()
        log.info("enrollment in session %s paused by %s: %s", session_id, principal.oid, reason)
    return await _public(session, course)


async def resume(session: AsyncSession, principal: Principal, session_id: uuid.UUID) -> EnrollmentStatePublic:
    """Resume enrollment in the session; resuming one that is not paused changes nothing."""
    course = await _locked(session, session_id)
    if course.enrollment_paused_at is not None:
        course.enrollment_paused_at = course.enrollment_paused_by_oid = course.enrollment_pause_reason = None
        await session.flush()
        log.info("enrollment in session %s resumed by %s", session_id, principal.oid)
    return await _public(session, course)


async def _locked(session: AsyncSession, session_id: uuid.UUID) -> SessionView:
    locked = await repository.lock_sessions(session, [session_id])
    if not locked:
        raise SessionNotFound(f"No session {session_id}.")
    return locked[0]


async def _public(session: AsyncSession, course: SessionView) -> EnrollmentStatePublic:
    offering = await repository.get_offering(session, course.offering_id)
    queue_session = None if offering is not None and offering.is_programme else course.id
    waiting = await repository.waiting_count(session, course.offering_id, queue_session)
    return EnrollmentStatePublic(
        session_id=course.id,
        offering_id=course.offering_id,
        status=course.status,
        capacity=course.capacity,
        seats_confirmed=course.seats_confirmed,
        seats_free=max(course.capacity - course.seats_confirmed, 0),
        overbooked_by=max(course.seats_confirmed - course.capacity, 0),
        waiting=waiting,
        paused=course.enrollment_paused_at is not None,
        paused_at=course.enrollment_paused_at,
        paused_by_oid=course.enrollment_paused_by_oid,
        pause_reason=course.enrollment_pause_reason,
    )
