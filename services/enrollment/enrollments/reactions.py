"""What the catalogue's and the directory's changes do to enrollments: a session cancelled or rescheduled,
a leader group that changed or ended, people no longer in the HR system."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.enrollment.enrollments import repository
from services.enrollment.enrollments.cancellation import withdraw
from services.enrollment.enrollments.changes import (
    GROUP_ENDED,
    INACTIVE_REASON,
    LEFT_GROUP,
    Changes,
    Target,
    notify,
    write_changes,
)
from services.enrollment.enrollments.models import Participation
from services.enrollment.events import NotificationKind
from services.kernel import clock


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
    await _tell_moved(
        session,
        [session_id],
        NotificationKind.session_rescheduled,
        session_id,
        previous_starts_at=previous_starts_at,
        reason=reason,
    )


async def sessions_cancelled(session: AsyncSession, session_ids: Sequence[uuid.UUID], reason: str) -> int:
    """Several sessions cancelled in one step (a programme cancelled as a whole): every place in them is
    cancelled, and each person is told once, about every session."""
    doomed = await repository.future_active_participations(session, clock.now(), session_ids=session_ids)
    return await withdraw(
        session,
        doomed,
        reason=f"Avlyst: {reason}" if reason else "Avlyst",
        notification=NotificationKind.programme_cancelled,
    )


async def sessions_rescheduled(
    session: AsyncSession, session_ids: Sequence[uuid.UUID], reason: str | None
) -> None:
    """Several sessions moved in one step (a programme moved as a whole): each person with a place in
    any of them (or waiting for one) is told once, about every session."""
    await _tell_moved(session, session_ids, NotificationKind.programme_rescheduled, None, reason=reason)


async def _tell_moved(
    session: AsyncSession,
    session_ids: Sequence[uuid.UUID],
    kind: NotificationKind,
    target_session: uuid.UUID | None,
    **data: Any,
) -> None:
    """One notification per person with a place in (or waiting for) any of the moved sessions."""
    courses = [c for c in [await repository.get_session(session, s) for s in session_ids] if c is not None]
    if not courses:
        return
    offering = await repository.get_offering(session, courses[0].offering_id)
    if offering is None:
        return
    parts = await repository.future_active_participations(session, clock.now(), session_ids=session_ids)
    changes = Changes()
    notify(
        changes, {p.person_id for p in parts}, kind, Target(offering, target_session, courses), parts, **data
    )
    await write_changes(session, changes)


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
