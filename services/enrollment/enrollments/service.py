"""Rules of enrolment: who may enrol whom, and capacity decided under a row lock.

Waiting lists, windows and audience rules arrive with the enrolment issue; today a full session refuses.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.enrollment.directory.models import Person
from services.enrollment.directory.service import PersonNotFound, person_for
from services.enrollment.enrollments import repository
from services.enrollment.enrollments.models import Enrollment, EnrollmentStatus
from services.enrollment.enrollments.schemas import EnrollmentCreate
from services.enrollment.events import SOURCE, EnrollmentCancelled, EnrollmentConfirmed
from services.kernel.auth.tokens import Principal, Role
from services.kernel.eventbus import publish
from services.kernel.problems import Conflict, Forbidden, NotFound


class SessionNotFound(NotFound):
    slug = "session-not-found"
    title = "Session not found"


class SessionFull(Conflict):
    slug = "session-full"
    title = "Session is full"


class SessionNotOpen(Conflict):
    slug = "session-not-open"
    title = "Session is cancelled or completed"


class SessionStarted(Conflict):
    slug = "session-started"
    title = "Session has started"


class AlreadyEnrolled(Conflict):
    slug = "already-enrolled"
    title = "Already enrolled"


async def _participant(session: AsyncSession, principal: Principal, person_id: uuid.UUID | None) -> Person:
    """Whom the request enrols: the caller, or (coordinators only) the person named."""
    if person_id is None:
        return await person_for(session, principal)
    if not principal.has_role(Role.coordinator):
        me = await person_for(session, principal)
        if person_id != me.id:
            raise Forbidden("Only coordinators may enrol someone else.")
        return me
    person = await repository.get_person(session, person_id)
    if person is None or not person.active:
        raise PersonNotFound(f"No active person {person_id} in the directory.")
    return person


async def enroll(session: AsyncSession, principal: Principal, data: EnrollmentCreate) -> Enrollment:
    person = await _participant(session, principal, data.person_id)
    course_session = await repository.lock_session(session, data.session_id)
    if course_session is None:
        raise SessionNotFound(f"No session {data.session_id} is known to enrolment.")
    if course_session.status != "scheduled":
        raise SessionNotOpen(f"The session is {course_session.status}.")
    if course_session.starts_at <= datetime.now(UTC):
        raise SessionStarted("Enrolment closed when the session started.")
    if await repository.active_for(session, course_session.id, person.id) is not None:
        raise AlreadyEnrolled("This person already holds a seat in the session.")
    seats = 1
    if course_session.seats_confirmed + seats > course_session.capacity:
        raise SessionFull(
            f"All {course_session.capacity} seats are taken.",
            extra={"capacity": course_session.capacity, "seats_confirmed": course_session.seats_confirmed},
        )
    enrollment = await repository.add(
        session,
        Enrollment(
            session_id=course_session.id, person_id=person.id, seats=seats, enrolled_by_oid=principal.oid
        ),
    )
    course_session.seats_confirmed += seats
    course_session.seats_version += 1
    await session.flush()
    await publish(
        session,
        EnrollmentConfirmed(
            enrollment_id=enrollment.id,
            session_id=course_session.id,
            offering_id=course_session.offering_id,
            person_id=person.id,
            org_unit_id=person.org_unit_id,
            seats=seats,
            session_seats_confirmed=course_session.seats_confirmed,
            session_seats_version=course_session.seats_version,
        ),
        source=SOURCE,
        aggregate_id=enrollment.id,
        aggregate_version=1,
    )
    return enrollment


async def get_visible(session: AsyncSession, principal: Principal, enrollment_id: uuid.UUID) -> Enrollment:
    """An enrolment, if it is the caller's own or the caller is a coordinator."""
    enrollment = await repository.get(session, enrollment_id)
    if enrollment is None:
        raise NotFound(f"No enrolment {enrollment_id}.")
    if not principal.has_role(Role.coordinator):
        me = await person_for(session, principal)
        if enrollment.person_id != me.id:
            # Same answer as a missing one: do not reveal that someone else's enrolment exists.
            raise NotFound(f"No enrolment {enrollment_id}.")
    return enrollment


async def cancel(session: AsyncSession, enrollment: Enrollment, *, reason: str) -> Enrollment:
    """Cancel a confirmed enrolment: its seats are freed under the session's row lock, and the new total
    goes out with `enrollment.cancelled` in the same transaction."""
    course_session = await repository.lock_session(session, enrollment.session_id)
    assert course_session is not None  # an enrolment's session is in the read model (foreign key)
    enrollment.status = EnrollmentStatus.cancelled.value
    enrollment.cancelled_at = datetime.now(UTC)
    enrollment.cancel_reason = reason
    course_session.seats_confirmed -= enrollment.seats
    course_session.seats_version += 1
    await session.flush()
    await publish(
        session,
        EnrollmentCancelled(
            enrollment_id=enrollment.id,
            session_id=course_session.id,
            offering_id=course_session.offering_id,
            person_id=enrollment.person_id,
            seats=enrollment.seats,
            reason=reason,
            session_seats_confirmed=course_session.seats_confirmed,
            session_seats_version=course_session.seats_version,
        ),
        source=SOURCE,
        aggregate_id=enrollment.id,
        aggregate_version=2,
    )
    return enrollment
