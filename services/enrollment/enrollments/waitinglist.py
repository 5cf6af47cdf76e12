"""The waiting list: a session's (or, for a programme taken whole, the offering's) waiting enrollments in
`queue_rank` order, which is arrival order until a coordinator moves an entry (`move`) or confirms one by
hand (`promote_by_hand`). Whenever seats may have freed up (a cancellation, a raised capacity, a group
that shrank, a session of a programme cancelled), `promote` walks the list in order and confirms each
entry that fits in the seats left and is still eligible, skipping the others (a group is confirmed whole
or not at all), until the session starts. A new enrollment takes a free seat directly: seats that stay
free while people wait are seats no waiting entry fits into."""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from services.enrollment.enrollments import repository
from services.enrollment.enrollments.changes import (
    CONFIRMED,
    SYSTEM,
    WAITLISTED,
    Changes,
    Target,
    holdings,
    notify,
    participation_events,
    settle,
    still_eligible,
    target_for,
    target_of,
    write_changes,
)
from services.enrollment.enrollments.models import Enrollment, EnrollmentAudit
from services.enrollment.enrollments.problems import EnrollmentNotFound, NotWaiting
from services.enrollment.events import EnrollmentPromoted, NotificationKind
from services.kernel import clock
from services.kernel.auth.tokens import Principal


async def _confirm(
    session: AsyncSession,
    changes: Changes,
    target: Target,
    enrollment: Enrollment,
    *,
    actor_oid: str,
    reason: str | None,
    action: str,
) -> None:
    parts = [p for p in await repository.participations(session, [enrollment.id]) if p.status == WAITLISTED]
    before = holdings(enrollment, parts)
    enrollment.status = CONFIRMED
    enrollment.confirmed_at = clock.now()
    enrollment.version += 1
    for part in parts:
        part.status = CONFIRMED
    sessions = {s.id: s for s in target.sessions}
    settle(sessions, before, enrollment, parts)
    people = await repository.people(session, [p.person_id for p in parts])
    changes.events += participation_events(
        EnrollmentPromoted, enrollment, parts, people, sessions, by_coordinator=actor_oid != SYSTEM
    )
    changes.audit.append(
        EnrollmentAudit(
            enrollment_id=enrollment.id,
            action=action,
            actor_oid=actor_oid,
            reason=reason,
            details={"seats": enrollment.seats, "room_before": target.room() + enrollment.seats},
        )
    )
    notify(changes, {p.person_id for p in parts}, NotificationKind.promoted, target, parts)


async def promote(session: AsyncSession, target: Target, changes: Changes) -> int:
    """Fill free seats from the waiting list, in order; the target's sessions are locked."""
    if target.started(clock.now()):
        return 0
    room = target.room()
    if room <= 0:
        return 0  # nobody fits: the list is not read
    promoted = 0
    for enrollment in await repository.waiting(session, target.offering.id, target.session_id):
        if room <= 0:
            break
        if enrollment.seats > room or not await still_eligible(session, enrollment, target.offering):
            continue  # a group is never split; an entry no longer eligible waits for a coordinator
        await _confirm(session, changes, target, enrollment, actor_oid=SYSTEM, reason=None, action="promoted")
        room -= enrollment.seats
        promoted += 1
    return promoted


async def seats_may_have_freed(session: AsyncSession, session_id: uuid.UUID) -> int:
    """After a capacity change: promote from the session's (or its programme's) waiting list."""
    course = await repository.get_session(session, session_id)
    offering = await repository.get_offering(session, course.offering_id) if course else None
    if course is None or offering is None:
        return 0
    target = await target_for(session, offering, None if offering.is_programme else session_id)
    changes = Changes()
    promoted = await promote(session, target, changes)
    await write_changes(session, changes)
    return promoted


async def promote_by_hand(
    session: AsyncSession, principal: Principal, enrollment_id: uuid.UUID, reason: str
) -> Enrollment:
    """Confirm a waiting enrollment now, over capacity if need be."""
    target, enrollment = await _locked_waiting(session, enrollment_id)
    over = enrollment.seats > target.room()
    changes = Changes()
    await _confirm(
        session,
        changes,
        target,
        enrollment,
        actor_oid=principal.oid,
        reason=reason,
        action="promoted-over-capacity" if over else "promoted-by-coordinator",
    )
    await write_changes(session, changes)
    return enrollment


async def move(
    session: AsyncSession, principal: Principal, enrollment_id: uuid.UUID, new_position: int, reason: str
) -> Enrollment:
    """Move a waiting enrollment to another place on its list (1 = first in line). Only the entry moved is
    written: its rank goes between its new neighbours' (`Enrollment.queue_rank`)."""
    target, enrollment = await _locked_waiting(session, enrollment_id)  # serialised with promotions
    queue = (target.offering.id, target.session_id)
    before = await repository.position(session, enrollment)
    assert before is not None
    ahead, behind, length = await repository.neighbours(session, *queue, enrollment.id, new_position)
    if ahead is not None and behind is not None:
        enrollment.queue_rank = (ahead + behind) / 2
    elif behind is not None:
        enrollment.queue_rank = behind - 1
    elif ahead is not None:
        # Last: below every rank the sequence gives later (each a whole number above all before it).
        enrollment.queue_rank = ahead + Decimal("0.5")
    enrollment.version += 1
    changes = Changes()
    changes.audit.append(
        EnrollmentAudit(
            enrollment_id=enrollment.id,
            action="moved",
            actor_oid=principal.oid,
            reason=reason,
            details={"from": before, "to": min(new_position, length + 1)},
        )
    )
    # Moving an entry that fits to the front may let it take seats nobody ahead of it fitted into.
    await promote(session, target, changes)
    await write_changes(session, changes)
    return enrollment


async def _locked_waiting(session: AsyncSession, enrollment_id: uuid.UUID) -> tuple[Target, Enrollment]:
    """A waiting enrollment and its sessions, locked in the service's order (sessions, then it)."""
    enrollment = await repository.get(session, enrollment_id)
    if enrollment is None:
        raise EnrollmentNotFound(f"No enrollment {enrollment_id}.")
    if enrollment.status != WAITLISTED:
        raise NotWaiting(f"The enrollment is {enrollment.status}.")
    target = await target_of(session, enrollment)
    [enrollment] = await repository.enrollments(session, [enrollment.id], lock=True)
    if enrollment.status != WAITLISTED:
        raise NotWaiting(f"The enrollment is {enrollment.status}.")
    return target, enrollment
