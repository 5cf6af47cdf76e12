"""Access to one enrollment: who may see it and act on it (the person, the leader of the group it books,
coordinators), how enrollments are shown, and which waiting list a session's places are in. The rules
of enrolling live beside it: `admission` (new enrollments), `waitinglist`,
`cancellation`, `reactions` and `changes` (what they share)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from services.enrollment.directory.models import Person
from services.enrollment.directory.service import person_for
from services.enrollment.enrollments import repository
from services.enrollment.enrollments.models import Enrollment
from services.enrollment.enrollments.problems import EnrollmentNotFound, SessionNotFound
from services.enrollment.enrollments.schemas import EnrollmentPublic, to_public
from services.kernel.auth.tokens import Principal, Role


async def leads(session: AsyncSession, enrollment: Enrollment, me: Person) -> bool:
    if enrollment.leader_group_id is None:
        return False
    group = await repository.get_group(session, enrollment.leader_group_id)
    return group is not None and group.leader_id == me.id


async def visible(session: AsyncSession, principal: Principal, enrollment_id: uuid.UUID) -> Enrollment:
    """An enrollment the caller may see: their own, their group's as its top leader, any as a coordinator.

    Anyone else's answers 404, exactly like a missing one."""
    enrollment = await repository.get(session, enrollment_id)
    if enrollment is not None and not principal.has_role(Role.coordinator):
        me = await person_for(session, principal)
        mine = enrollment.person_id == me.id or await leads(session, enrollment, me)
        if not mine:
            parts = await repository.participations(session, [enrollment.id])
            mine = any(p.person_id == me.id for p in parts)
        if not mine:
            enrollment = None
    if enrollment is None:
        raise EnrollmentNotFound(f"No enrollment {enrollment_id}.")
    return enrollment


async def present(
    session: AsyncSession, enrollments: Sequence[Enrollment], *, only_person: uuid.UUID | None = None
) -> list[EnrollmentPublic]:
    """Enrollments with their places and waiting-list positions; `only_person` hides the other members."""
    parts = await repository.participations(session, [e.id for e in enrollments])
    places = await repository.positions(session, enrollments)
    return [
        to_public(
            e,
            [
                p
                for p in parts
                if p.enrollment_id == e.id and (only_person is None or p.person_id == only_person)
            ],
            places.get(e.id),
        )
        for e in enrollments
    ]


async def queue_of_session(
    session: AsyncSession, session_id: uuid.UUID
) -> tuple[uuid.UUID, uuid.UUID | None]:
    """The waiting list a session's places are in: (offering, session), or (offering, None) for a
    session of a programme taken whole. 404 for a session not known here."""
    course = await repository.get_session(session, session_id)
    if course is None:
        raise SessionNotFound(f"No session {session_id}.")
    offering = await repository.get_offering(session, course.offering_id)
    return course.offering_id, (None if offering is not None and offering.is_programme else course.id)
