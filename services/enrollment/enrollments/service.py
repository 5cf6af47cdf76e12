"""Rules of enrollment: capacity, the waiting list, cancellation, and what the catalogue's changes do.

Seats are decided under the locks of the sessions concerned (`repository.lock_sessions`, in the service's
one lock order: see `repository`), so nothing is ever overbooked; new enrollments are decided there many
at a time (`admission`), the changes here one operation at a time. Every change of seats publishes the
session's new total with a rising version in the same transaction.

The waiting list: a session's (or, for a programme taken whole, the offering's) waiting enrollments in
`queue_rank` order, which is arrival order until a coordinator moves an entry. Whenever seats may have
freed up (a cancellation, a raised capacity, a group that shrank, a session of a programme cancelled),
`promote` walks the list in order and confirms each entry that fits in the seats left and is still
eligible, skipping the others (a group is confirmed whole or not at all), until the session starts. A
new enrollment takes a free seat directly: seats that stay free while people wait are seats no waiting
entry fits into.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from services.enrollment.directory.models import Person
from services.enrollment.directory.service import PersonNotFound, person_for
from services.enrollment.enrollments import repository, rules
from services.enrollment.enrollments.models import (
    ACTIVE,
    Enrollment,
    EnrollmentAudit,
    EnrollmentKind,
    EnrollmentStatus,
    Participation,
)
from services.enrollment.events import (
    SOURCE,
    EnrollmentCancelled,
    EnrollmentPromoted,
    NotificationKind,
    NotificationRequested,
    ParticipationFacts,
)
from services.enrollment.offerings.models import OfferingView
from services.enrollment.sessions.models import SessionView
from services.kernel import clock
from services.kernel.auth.tokens import Principal, Role
from services.kernel.eventbus import EventPayload, publish_many
from services.kernel.problems import BadRequestProblem, Conflict, Forbidden, NotFound
from services.kernel.schemas import oslo_iso

SYSTEM = "system"
INACTIVE_REASON = "Personen er ikke lenger aktiv i HR-systemet"
LEFT_GROUP = "Har gått ut av ledergruppen"
GROUP_ENDED = "Ledergruppen er avviklet i HR-systemet"
CONFIRMED = EnrollmentStatus.confirmed.value
WAITLISTED = EnrollmentStatus.waitlisted.value
CANCELLED = EnrollmentStatus.cancelled.value


class SessionNotFound(NotFound):
    slug = "session-not-found"
    title = "Session not found"


class OfferingNotFound(NotFound):
    slug = "offering-not-found"
    title = "Offering not found"


class EnrollmentNotFound(NotFound):
    slug = "enrollment-not-found"
    title = "Enrollment not found"


class NotOpen(Conflict):
    slug = "session-not-open"
    title = "Not open for enrollment"


class EnrollmentWindowClosed(Conflict):
    slug = "enrollment-window-closed"
    title = "Enrollment is not open now"


class SessionStarted(Conflict):
    slug = "session-started"
    title = "Session has started"


class ProgrammeTakenWhole(Conflict):
    slug = "programme-taken-whole"
    title = "A programme's sessions are taken together"


class AlreadyEnrolled(Conflict):
    slug = "already-enrolled"
    title = "Already enrolled"


class NoMembers(Conflict):
    slug = "group-has-no-members"
    title = "The leader group has no active members"


class DeadlinePassed(Conflict):
    slug = "cancellation-deadline-passed"
    title = "The cancellation deadline has passed"


class NotCancellable(Conflict):
    slug = "enrollment-not-active"
    title = "The enrollment is not active"


class NotWaiting(Conflict):
    slug = "enrollment-not-waitlisted"
    title = "The enrollment is not on the waiting list"


class ReasonRequired(BadRequestProblem):
    slug = "reason-required"
    title = "A reason is required"


@dataclass
class Target:
    """The locked sessions an enrollment takes seats in: one session, or a programme's sessions."""

    offering: OfferingView
    session_id: uuid.UUID | None
    sessions: list[SessionView]

    @property
    def scheduled(self) -> list[SessionView]:
        return sorted((s for s in self.sessions if s.status == "scheduled"), key=lambda s: s.starts_at)

    @property
    def first(self) -> SessionView | None:
        scheduled = self.scheduled
        return scheduled[0] if scheduled else None

    def room(self) -> int:
        scheduled = self.scheduled
        return min((s.capacity - s.seats_confirmed for s in scheduled), default=0)

    def started(self, now: datetime) -> bool:
        first = self.first
        return first is None or first.starts_at <= now


@dataclass
class Changes:
    """Events, notifications and audit lines gathered by one operation, written together at the end."""

    events: list[tuple[EventPayload, uuid.UUID]] = field(default_factory=list)
    audit: list[EnrollmentAudit] = field(default_factory=list)


async def _target_for(session: AsyncSession, offering: OfferingView, session_id: uuid.UUID | None) -> Target:
    ids = (
        [session_id]
        if session_id is not None
        else await repository.offering_session_ids(session, offering.id)
    )
    return Target(offering, session_id, await repository.lock_sessions(session, ids))


async def _offering(session: AsyncSession, offering_id: uuid.UUID) -> OfferingView:
    offering = await repository.get_offering(session, offering_id)
    if offering is None:
        raise OfferingNotFound(f"No published offering {offering_id}.")
    return offering


class Placed(Protocol):
    """A person as the events describe them: a directory record, or what a request read of it."""

    @property
    def org_unit_id(self) -> uuid.UUID | None: ...


class Booked(Protocol):
    """An enrollment as seat counting and events read it: a stored row, or one just decided."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def offering_id(self) -> uuid.UUID: ...
    @property
    def session_id(self) -> uuid.UUID | None: ...
    @property
    def leader_group_id(self) -> uuid.UUID | None: ...
    @property
    def status(self) -> str: ...
    @property
    def booking_unit(self) -> str: ...
    @property
    def seats(self) -> int: ...


class Place(Protocol):
    """A participation as seat counting and events read it."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def session_id(self) -> uuid.UUID: ...
    @property
    def person_id(self) -> uuid.UUID: ...
    @property
    def status(self) -> str: ...


def _seats_in(enrollment: Booked, parts: Sequence[Place], session_id: uuid.UUID) -> int:
    """Seats the enrollment holds in a session now: per person, or one slot for a group-booked offering."""
    if enrollment.status != CONFIRMED:
        return 0
    holding = sum(1 for p in parts if p.session_id == session_id and p.status == CONFIRMED)
    return min(holding, 1) if enrollment.booking_unit == "group" else holding


def _holdings(enrollment: Booked, parts: Sequence[Place]) -> dict[uuid.UUID, int]:
    return {sid: _seats_in(enrollment, parts, sid) for sid in {p.session_id for p in parts}}


def _settle(
    sessions: dict[uuid.UUID, SessionView],
    before: dict[uuid.UUID, int],
    enrollment: Booked,
    parts: Sequence[Place],
) -> None:
    """Move each session's confirmed-seat total by what the enrollment's change did to it."""
    after = _holdings(enrollment, parts)
    for sid in before.keys() | after.keys():
        delta = after.get(sid, 0) - before.get(sid, 0)
        if delta and sid in sessions:
            sessions[sid].seats_confirmed += delta
            sessions[sid].seats_version += 1


def _facts(enrollment: Booked, part: Place, person: Placed | None, course: SessionView) -> dict[str, Any]:
    return {
        "enrollment_id": enrollment.id,
        "participation_id": part.id,
        "session_id": part.session_id,
        "offering_id": enrollment.offering_id,
        "person_id": part.person_id,
        "org_unit_id": person.org_unit_id if person else None,
        "leader_group_id": enrollment.leader_group_id,
        "seats": enrollment.seats,
        "programme": enrollment.session_id is None,
        "session_starts_at": course.starts_at,
        "session_seats_confirmed": course.seats_confirmed,
        "session_seats_version": course.seats_version,
    }


def _notify(
    changes: Changes, person_ids: set[uuid.UUID], kind: NotificationKind, target: Target, **data: Any
) -> None:
    first = target.first or (target.sessions[0] if target.sessions else None)
    details: dict[str, Any] = {
        "offering_id": str(target.offering.id),
        "offering_title": target.offering.title,
        "session_id": str(target.session_id) if target.session_id else None,
        "starts_at": first.starts_at.isoformat() if first else None,
        **{k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in data.items()},
    }
    for person_id in sorted(person_ids):
        changes.events.append(
            (NotificationRequested(recipient_person_id=person_id, kind=kind, data=details), person_id)
        )


async def _write(session: AsyncSession, changes: Changes) -> None:
    await session.flush()
    if changes.audit:
        await repository.add(session, *changes.audit)
    if changes.events:
        await publish_many(session, changes.events, source=SOURCE)


def _participation_events(
    payload: type[ParticipationFacts],
    enrollment: Booked,
    parts: Sequence[Place],
    people: Mapping[uuid.UUID, Placed],
    sessions: dict[uuid.UUID, SessionView],
    **extra: Any,
) -> list[tuple[EventPayload, uuid.UUID]]:
    return [
        (
            payload(**_facts(enrollment, p, people.get(p.person_id), sessions[p.session_id]), **extra),
            enrollment.id,
        )
        for p in parts
        if p.session_id in sessions
    ]


# --- enrolling (decided in `admission`) ------------------------------------------------------------------


def check_window(target: Target, now: datetime) -> None:
    """Refuse enrollment in the target's sessions outside their window (their first session's)."""
    first = target.first
    if first is None:
        raise NotOpen("No scheduled session is left to enroll in.")
    if first.starts_at <= now:
        raise SessionStarted("Enrollment closed when the session started.")
    if first.enrollment_opens_at and now < first.enrollment_opens_at:
        raise EnrollmentWindowClosed(
            f"Enrollment opens {oslo_iso(first.enrollment_opens_at)}.",
            extra={"opens_at": oslo_iso(first.enrollment_opens_at)},
        )
    if first.enrollment_closes_at and now >= first.enrollment_closes_at:
        raise EnrollmentWindowClosed(
            f"Enrollment closed {oslo_iso(first.enrollment_closes_at)}.",
            extra={"closed_at": oslo_iso(first.enrollment_closes_at)},
        )


# --- promotion -------------------------------------------------------------------------------------------


async def _still_eligible(session: AsyncSession, enrollment: Enrollment, offering: OfferingView) -> bool:
    if enrollment.kind == EnrollmentKind.group.value:
        assert enrollment.leader_group_id is not None
        group = await repository.get_group(session, enrollment.leader_group_id)
        if group is None or not group.active:
            return False
        if enrollment.audience_checked:
            facts = await repository.group_facts(session, group.id)
            return rules.refusal(offering, facts, group=True) is None
        return True
    assert enrollment.person_id is not None
    person = await repository.get_person(session, enrollment.person_id)
    if person is None or not person.active:
        return False
    if enrollment.audience_checked:
        return rules.refusal(offering, await repository.person_facts(session, person.id), group=False) is None
    return True


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
    before = _holdings(enrollment, parts)
    enrollment.status = CONFIRMED
    enrollment.confirmed_at = clock.now()
    enrollment.version += 1
    for part in parts:
        part.status = CONFIRMED
    sessions = {s.id: s for s in target.sessions}
    _settle(sessions, before, enrollment, parts)
    people = await repository.people(session, [p.person_id for p in parts])
    changes.events += _participation_events(
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
    _notify(changes, {p.person_id for p in parts}, NotificationKind.promoted, target)


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
        if enrollment.seats > room or not await _still_eligible(session, enrollment, target.offering):
            continue  # a group is never split; an entry no longer eligible waits for a coordinator
        await _confirm(session, changes, target, enrollment, actor_oid=SYSTEM, reason=None, action="promoted")
        room -= enrollment.seats
        promoted += 1
    return promoted


# --- cancelling ------------------------------------------------------------------------------------------


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
    before = _holdings(enrollment, parts)
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
    elif enrollment.booking_unit == "person":
        enrollment.seats = len(remaining)
    enrollment.version += 1
    sessions = {s.id: s for s in target.sessions}
    _settle(sessions, before, enrollment, parts)
    people = await repository.people(session, [p.person_id for p in cancelling])
    for part in cancelling:
        changes.events += _participation_events(
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
    _notify(changes, {p.person_id for p in cancelling}, notification, target, reason=reason)


async def _target_of(session: AsyncSession, enrollment: Enrollment) -> Target:
    return await _target_for(session, await _offering(session, enrollment.offering_id), enrollment.session_id)


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
    offerings = {e.offering_id: await _offering(session, e.offering_id) for e in enrollments}
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
    await _write(session, changes)
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
    if person_id is None and me is not None and not leader and enrollment.kind == EnrollmentKind.group.value:
        person_id = me.id  # a member cancels their own place, not the group's
    if me is not None and not leader and person_id not in (None, me.id):
        raise Forbidden("Only the group's top leader or a coordinator may cancel another person's place.")
    if coordinator and not reason:
        raise ReasonRequired("A coordinator cancelling an enrollment gives a reason.")
    if enrollment.status not in ACTIVE:
        raise NotCancellable(f"The enrollment is {enrollment.status}.")
    target = await _target_of(session, enrollment)
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
    await _write(session, changes)
    return enrollment


# --- what the catalogue's changes do ----------------------------------------------------------------------


async def lock_for_session_changes(
    session: AsyncSession, changed: Sequence[tuple[uuid.UUID, uuid.UUID]]
) -> None:
    """Before the catalogue's facts about sessions (session id, offering id) are written: lock them, and
    for a programme every scheduled session of it (what a promotion on the programme's list locks), in
    one step of the lock order, so what follows never waits for a session while holding another."""
    ids = {session_id for session_id, _ in changed}
    for offering_id in {offering_id for _, offering_id in changed}:
        offering = await repository.get_offering(session, offering_id)
        if offering is not None and offering.is_programme:
            ids.update(await repository.offering_session_ids(session, offering_id))
    await repository.lock_sessions(session, ids)


async def session_cancelled(session: AsyncSession, session_id: uuid.UUID, reason: str) -> int:
    """A session cancelled in the catalogue cancels every place in it, with the catalogue's reason; a
    programme's enrollments keep their places in its other sessions."""
    doomed = await repository.future_active_participations(session, clock.now(), session_id=session_id)
    return await withdraw(
        session,
        doomed,
        reason=f"Samlingen er avlyst: {reason}" if reason else "Samlingen er avlyst",
        notification=NotificationKind.session_cancelled,
    )


async def session_rescheduled(
    session: AsyncSession, session_id: uuid.UUID, *, previous_starts_at: datetime | None, reason: str | None
) -> None:
    """A rescheduled session keeps its enrollments; everyone with a place (or waiting) is told."""
    course = await repository.get_session(session, session_id)
    if course is None:
        return
    offering = await repository.get_offering(session, course.offering_id)
    if offering is None:
        return
    parts = await repository.future_active_participations(session, clock.now(), session_id=session_id)
    changes = Changes()
    target = Target(offering, session_id, [course])
    _notify(
        changes,
        {p.person_id for p in parts},
        NotificationKind.session_rescheduled,
        target,
        previous_starts_at=previous_starts_at,
        reason=reason,
    )
    await _write(session, changes)


async def seats_may_have_freed(session: AsyncSession, session_id: uuid.UUID) -> int:
    """After a capacity change: promote from the session's (or its programme's) waiting list."""
    course = await repository.get_session(session, session_id)
    offering = await repository.get_offering(session, course.offering_id) if course else None
    if course is None or offering is None:
        return 0
    target = await _target_for(session, offering, None if offering.is_programme else session_id)
    changes = Changes()
    promoted = await promote(session, target, changes)
    await _write(session, changes)
    return promoted


async def group_changed(session: AsyncSession, group_ids: Sequence[uuid.UUID]) -> int:
    """The stated rule when a leader group changes in HR: a member who left loses their places in the
    group's enrollments in sessions that have not started, cancelled with a reason (the group shrinks,
    freeing seats for the waiting list); a group deactivated loses them all. A member who joins later is
    not added by itself: the top leader or a coordinator enrolls them. Returns places cancelled."""
    if not group_ids:
        return 0
    now = clock.now()
    parts = await repository.future_active_participations(session, now, group_ids=group_ids)
    if not parts:
        return 0
    enrollments = {e.id: e for e in await repository.enrollments(session, {p.enrollment_id for p in parts})}
    doomed: list[Participation] = []
    reasons: dict[uuid.UUID, str] = {}
    for group_id in set(group_ids):
        group = await repository.get_group(session, group_id)
        current = (
            {p.id for p in await repository.group_people(session, group)} if group and group.active else set()
        )
        for part in parts:
            if enrollments[part.enrollment_id].leader_group_id == group_id and part.person_id not in current:
                doomed.append(part)
                reasons[part.id] = LEFT_GROUP if current else GROUP_ENDED
    cancelled = 0
    for reason in (LEFT_GROUP, GROUP_ENDED):
        cancelled += await withdraw(session, [p for p in doomed if reasons[p.id] == reason], reason=reason)
    return cancelled


async def people_deactivated(session: AsyncSession, person_ids: Sequence[uuid.UUID]) -> int:
    """The stated rule for people HR deactivates: their places in sessions that have not started are
    cancelled with a reason (seats go to the waiting list); past ones stay as history."""
    if not person_ids:
        return 0
    parts = await repository.future_active_participations(session, clock.now(), person_ids=person_ids)
    return await withdraw(session, parts, reason=INACTIVE_REASON)


# --- coordinators on the waiting list --------------------------------------------------------------------


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
    await _write(session, changes)
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
    await _write(session, changes)
    return enrollment


async def _locked_waiting(session: AsyncSession, enrollment_id: uuid.UUID) -> tuple[Target, Enrollment]:
    """A waiting enrollment and its sessions, locked in the service's order (sessions, then it)."""
    enrollment = await repository.get(session, enrollment_id)
    if enrollment is None:
        raise EnrollmentNotFound(f"No enrollment {enrollment_id}.")
    if enrollment.status != WAITLISTED:
        raise NotWaiting(f"The enrollment is {enrollment.status}.")
    target = await _target_of(session, enrollment)
    [enrollment] = await repository.enrollments(session, [enrollment.id], lock=True)
    if enrollment.status != WAITLISTED:
        raise NotWaiting(f"The enrollment is {enrollment.status}.")
    return target, enrollment


# --- reads -----------------------------------------------------------------------------------------------


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
