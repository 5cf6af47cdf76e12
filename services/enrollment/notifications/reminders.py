"""Reminders before sessions: a periodic job hands each one to the mail queue once.

A reminder is due `reminder_days_before` days before the day a session starts, at `reminder_hour`, in
Oslo time; the job sends only by day (08:00 to 21:00 in Oslo), so a reminder that falls due at night, or
while the service was down, goes out the next morning, as long as the session has not started. It goes
to everyone with a confirmed place then (nobody who cancelled or only waits), for offerings whose
coordinators have not turned reminders off, and not to someone who enrolled after it fell due (their
confirmation has just told them). Each (session, person) is recorded in `session_reminders` in the same
transaction as the notification event, so a reminder is sent once whatever restarts, and on several
replicas the second insert of the same pair does nothing.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.enrollment.enrollments import repository as enrollments
from services.enrollment.enrollments.changes import Changes, Target, notify, write_changes
from services.enrollment.enrollments.models import EnrollmentStatus
from services.enrollment.events import NotificationKind
from services.enrollment.notifications import repository
from services.enrollment.settings import EnrollmentSettings
from services.kernel import clock
from services.kernel.schemas import OSLO

log = logging.getLogger(__name__)

DAYTIME = range(8, 21)  # hours in Oslo when reminders may go out
BATCH = 500


async def send_due_reminders(
    sessionmaker: async_sessionmaker[AsyncSession], settings: EnrollmentSettings
) -> None:
    """Hand every reminder due now to the mail queue (a periodic job; safe on several replicas)."""
    now = clock.now()
    if not settings.reminders_enabled or now.astimezone(OSLO).hour not in DAYTIME:
        return
    while True:
        async with sessionmaker() as session, session.begin():
            due = await repository.claim_due_reminders(
                session, now, days=settings.reminder_days_before, hour=settings.reminder_hour, limit=BATCH
            )
            if not due:
                return
            await _notify(session, due)
            log.info("%d session reminders handed to the mail queue", len(due))


async def _notify(session: AsyncSession, due: list[tuple[uuid.UUID, uuid.UUID]]) -> None:
    people: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    for session_id, person_id in due:
        people[session_id].add(person_id)
    changes = Changes()
    for session_id, person_ids in people.items():
        course = await enrollments.get_session(session, session_id)
        offering = await enrollments.get_offering(session, course.offering_id) if course else None
        if course is None or offering is None:
            continue
        places = [
            p
            for p in await enrollments.future_active_participations(
                session, clock.now(), session_ids=[session_id]
            )
            if p.person_id in person_ids and p.status == EnrollmentStatus.confirmed
        ]
        notify(
            changes,
            person_ids,
            NotificationKind.session_reminder,
            Target(offering, session_id, [course]),
            places,
        )
    await write_changes(session, changes)
