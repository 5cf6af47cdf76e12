"""Cancelling an enrollment (by the person, their group's leader or a coordinator, before the deadline)
and withdrawing one (the system or a coordinator, for a reason): its seats are freed and the waiting list
is promoted in the same transaction."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.enrollment.directory.service import PersonNotFound, person_for
from services.enrollment.enrollments import repository
from services.enrollment.enrollments.changes import (
    CANCELLED,
    CONFIRMED,
    SYSTEM,
    Changes,
    Target,
    holdings,
    notify,
    offering_view,
    participation_events,
    settle,
    target_of,
    write_changes,
)
from services.enrollment.enrollments.models import (
    ACTIVE,
    Enrollment,
    EnrollmentAudit,
    EnrollmentKind,
    Participation,
)
from services.enrollment.enrollments.problems import (
    DeadlinePassed,
    NotCancellable,
    ReasonRequired,
    SessionStarted,
)
from services.enrollment.enrollments.service import leads, visible
from services.enrollment.enrollments.waitinglist import promote
from services.enrollment.events import EnrollmentCancelled, NotificationKind
from services.enrollment.offerings.models import BookingUnit
from services.kernel import clock
from services.kernel.auth.tokens import Principal, Role
from services.kernel.problems import Forbidden
from services.kernel.schemas import oslo_iso


async def _cancel_parts(
    session: AsyncSession,
    changes: Changes,
    target: Target,
    enrollment: Enrollment,
    doomed: Sequence[Participation],
    *,
    reason: str,
    actor_oid: str,
    notification: NotificationKind = NotificationKind.cancelled,
) -> None:
    """Cancel some places of an enrollment; the enrollment ends when no place is left (seats follow). The
    enrollment is locked; its places are read as they are now (`doomed` may have been read before)."""
    parts = await repository.participations(session, [enrollment.id], fresh=True)
    doomed_ids = {p.id for p in doomed}
    cancelling = [p for p in parts if p.id in doomed_ids and p.status in ACTIVE]
    if not cancelling:
        return
    before = holdings(enrollment, parts)
    previous = {p.id: p.status for p in cancelling}
    now = clock.now()
    for part in cancelling:
        part.status = CANCELLED
        part.cancelled_at = now
        part.cancel_reason = reason
    remaining = {p.person_id for p in parts if p.status in ACTIVE}
    ended = not remaining
    if ended:
        enrollment.status = CANCELLED
        enrollment.cancelled_at = now
        enrollment.cancel_reason = reason
    elif enrollment.booking_unit == BookingUnit.person:
        enrollment.seats = len(remaining)
    enrollment.version += 1
    sessions = {s.id: s for s in target.sessions}
    settle(sessions, before, enrollment, parts)
    people = await repository.people(session, [p.person_id for p in cancelling])
    for part in cancelling:
        changes.events += participation_events(
            EnrollmentCancelled,
            enrollment,
            [part],
            people,
            sessions,
            previous_status=previous[part.id],
            reason=reason,
        )
    changes.audit.append(
        EnrollmentAudit(
            enrollment_id=enrollment.id,
            action="cancelled" if ended else "places-cancelled",
            actor_oid=actor_oid,
            reason=reason,
            details={
                "people": sorted(str(p) for p in {p.person_id for p in cancelling}),
                "sessions": sorted(str(s) for s in {p.session_id for p in cancelling}),
                "seats": enrollment.seats,
            },
        )
    )
    notify(changes, {p.person_id for p in cancelling}, notification, target, cancelling, reason=reason)


async def withdraw(
    session: AsyncSession,
    doomed: Sequence[Participation],
    *,
    reason: str,
    actor_oid: str = SYSTEM,
    notification: NotificationKind = NotificationKind.cancelled,
) -> int:
    """Cancel these places across any enrollments, then promote where seats freed up. Returns places cut.

    The HR sync (people deactivated, members leaving a group) and the catalogue's session cancellations
    come through here."""
    by_enrollment: dict[uuid.UUID, list[Participation]] = defaultdict(list)
    for part in doomed:
        by_enrollment[part.enrollment_id].append(part)
    if not by_enrollment:
        return 0
    enrollments = await repository.enrollments(session, by_enrollment)
    targets: list[Target] = []
    offerings = {e.offering_id: await offering_view(session, e.offering_id) for e in enrollments}
    session_ids: set[uuid.UUID] = set()
    for e in enrollments:
        ids = (
            [e.session_id] if e.session_id else await repository.offering_session_ids(session, e.offering_id)
        )
        session_ids.update(ids)
        session_ids.update(p.session_id for p in by_enrollment[e.id])
    locked = {s.id: s for s in await repository.lock_sessions(session, session_ids)}
    enrollments = await repository.enrollments(session, by_enrollment, lock=True)
    changes = Changes()
    for e in enrollments:
        held = (
            {e.session_id}
            if e.session_id
            else {s.id for s in locked.values() if s.offering_id == e.offering_id}
        )
        held.update(p.session_id for p in by_enrollment[e.id])
        target = Target(
            offerings[e.offering_id], e.session_id, [locked[i] for i in sorted(held) if i in locked]
        )
        await _cancel_parts(
            session,
            changes,
            target,
            e,
            by_enrollment[e.id],
            reason=reason,
            actor_oid=actor_oid,
            notification=notification,
        )
        targets.append(target)
    seen: set[tuple[uuid.UUID, uuid.UUID | None]] = set()
    for target in targets:
        if (key := (target.offering.id, target.session_id)) not in seen:
            seen.add(key)
            await promote(session, target, changes)
    await write_changes(session, changes)
    return sum(1 for p in doomed if p.status == CANCELLED)


def _deadline(target: Target) -> datetime | None:
    first = target.first
    if first is None:
        return None
    return first.cancellation_deadline or first.starts_at


async def cancel(
    session: AsyncSession,
    principal: Principal,
    enrollment_id: uuid.UUID,
    *,
    person_id: uuid.UUID | None,
    reason: str | None,
) -> Enrollment:
    """Cancel an enrollment, or one person's place in a group enrollment.

    Who: the enrolled person; a group's top leader for the group; a member for their own place; a
    coordinator for anyone, with a reason. Participants may cancel a confirmed place until the
    cancellation deadline (the session's start if none is set) and leave a waiting list until the
    session starts; coordinators at any time.
    """
    enrollment = await visible(session, principal, enrollment_id)
    coordinator = principal.has_role(Role.coordinator)
    me = None if coordinator else await person_for(session, principal)
    leader = me is not None and await leads(session, enrollment, me)
    if person_id is None and me is not None and not leader and enrollment.kind == EnrollmentKind.group:
        person_id = me.id  # a member cancels their own place, not the group's
    if me is not None and not leader and person_id not in (None, me.id):
        raise Forbidden("Only the group's top leader or a coordinator may cancel another person's place.")
    if coordinator and not reason:
        raise ReasonRequired("A coordinator cancelling an enrollment gives a reason.")
    if enrollment.status not in ACTIVE:
        raise NotCancellable(f"The enrollment is {enrollment.status}.")
    target = await target_of(session, enrollment)
    [enrollment] = await repository.enrollments(session, [enrollment.id], lock=True)
    if enrollment.status not in ACTIVE:
        raise NotCancellable(f"The enrollment is {enrollment.status}.")
    now = clock.now()
    if not coordinator:
        if target.started(now):
            raise SessionStarted("The session has started; ask a coordinator.")
        deadline = _deadline(target)
        if enrollment.status == CONFIRMED and deadline is not None and now >= deadline:
            raise DeadlinePassed(
                f"Cancellation closed {oslo_iso(deadline)}; ask a coordinator.",
                extra={"deadline": oslo_iso(deadline)},
            )
    parts = [
        p for p in await repository.participations(session, [enrollment.id], fresh=True) if p.status in ACTIVE
    ]
    if person_id is not None:
        parts = [p for p in parts if p.person_id == person_id]
        if not parts:
            raise PersonNotFound(f"No active place for person {person_id} in this enrollment.")
    changes = Changes()
    await _cancel_parts(
        session,
        changes,
        target,
        enrollment,
        parts,
        reason=reason or "Avmeldt av deltakeren",
        actor_oid=principal.oid,
    )
    await promote(session, target, changes)
    await write_changes(session, changes)
    return enrollment
