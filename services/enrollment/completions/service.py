"""Attendance, completion by the offering's rule, and the completions feed for the HR system.

The completion rule comes from the catalogue (`completion_min_sessions`): a participant completes an
offering when they attended at least that many of its sessions; without a number, every session of a
programme that was not cancelled, or one session of anything else (a gathering, a professional day).
Attendance may be corrected; a completion that no longer holds is withdrawn, and the feed says so.

The feed is read in (xid, position) order below the oldest running transaction (see
`CompletionFeedEntry`): an integration polling with its last cursor never misses an entry that commits
late and never sees one twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from services.enrollment.completions import repository
from services.enrollment.completions.models import Completion, CompletionFeedEntry, CompletionStatus
from services.enrollment.completions.schemas import AttendanceUpdate, FeedEntryPublic, FeedPage
from services.enrollment.enrollments import repository as enrollments_repository
from services.enrollment.enrollments.models import Participation
from services.enrollment.enrollments.problems import SessionNotFound
from services.enrollment.events import (
    SOURCE,
    AttendanceRecord,
    AttendanceRecorded,
    CompletionFacts,
    CompletionWithdrawn,
    ParticipationCompleted,
)
from services.enrollment.offerings.models import OfferingView
from services.enrollment.sessions.models import SessionView
from services.kernel import clock, cursors
from services.kernel.auth.tokens import Principal
from services.kernel.eventbus import EventPayload, publish_many
from services.kernel.problems import BadRequestProblem, Conflict


class SessionNotStarted(Conflict):
    slug = "session-not-started"
    title = "Attendance is marked once the session has started"


class NotOnRoster(BadRequestProblem):
    slug = "not-on-roster"
    title = "Some people hold no confirmed place in the session"


async def record_attendance(
    session: AsyncSession, principal: Principal, session_id: uuid.UUID, data: AttendanceUpdate
) -> list[Participation]:
    """Mark attendance for confirmed participants of a started session, all or nothing."""
    course = await session.get(SessionView, session_id)
    if course is None:
        raise SessionNotFound(f"No session {session_id}.")
    now = clock.now()
    if course.starts_at > now:
        raise SessionNotStarted(f"The session starts {course.starts_at.isoformat()}.")
    wanted = {r.person_id: r.attendance for r in data.records}
    parts = await repository.confirmed_places_for_update(session, session_id, wanted)
    missing = set(wanted) - {p.person_id for p in parts}
    if missing:
        raise NotOnRoster(
            "No confirmed place in this session for: " + ", ".join(sorted(map(str, missing))),
            extra={"person_ids": sorted(map(str, missing))},
        )
    changed = [p for p in parts if p.attendance != wanted[p.person_id]]
    for part in changed:
        part.attendance = wanted[part.person_id]
        part.attendance_marked_at = now
        part.attendance_marked_by_oid = principal.oid
    await session.flush()
    if not changed:
        return parts
    people = await enrollments_repository.people(session, [c.person_id for c in changed])
    events: list[tuple[EventPayload, uuid.UUID]] = [
        (
            AttendanceRecorded(
                session_id=session_id,
                offering_id=course.offering_id,
                records=[
                    AttendanceRecord(
                        participation_id=p.id,
                        person_id=p.person_id,
                        org_unit_id=people[p.person_id].org_unit_id if p.person_id in people else None,
                        attendance=p.attendance or "",
                    )
                    for p in changed
                ],
            ),
            session_id,
        )
    ]
    events += await _settle_completions(
        session, principal, course.offering_id, [p.person_id for p in changed]
    )
    await publish_many(session, events, source=SOURCE)
    return parts


async def required_sessions(session: AsyncSession, offering: OfferingView) -> int:
    if offering.completion_min_sessions is not None:
        return offering.completion_min_sessions
    if not offering.is_programme:
        return 1
    return max(await repository.sessions_held(session, offering.id), 1)


async def _settle_completions(
    session: AsyncSession, principal: Principal, offering_id: uuid.UUID, person_ids: Sequence[uuid.UUID]
) -> list[tuple[EventPayload, uuid.UUID]]:
    """Record completions the rule now grants and withdraw those it no longer does."""
    offering = await session.get(OfferingView, offering_id)
    if offering is None:
        return []
    required = await required_sessions(session, offering)
    attended = await repository.sessions_attended(session, offering_id, person_ids)
    standing = await repository.standing_completions_for_update(session, offering_id, person_ids)
    groups = await repository.groups_of(session, offering_id, person_ids)
    events: list[tuple[EventPayload, uuid.UUID]] = []
    now = clock.now()
    for person_id in sorted(set(person_ids)):
        count = attended.get(person_id, 0)
        current = standing.get(person_id)
        payload: type[CompletionFacts]
        if current is None and count >= required:
            current = Completion(
                person_id=person_id,
                offering_id=offering_id,
                attended_sessions=count,
                required_sessions=required,
            )
            session.add(current)
            await session.flush()
            change, payload = CompletionStatus.completed, ParticipationCompleted
        elif current is not None and count < required:
            current.status = CompletionStatus.withdrawn
            current.withdrawn_at = now
            current.withdrawn_by_oid = principal.oid
            current.attended_sessions = count
            change, payload = CompletionStatus.withdrawn, CompletionWithdrawn
        else:
            continue
        session.add(CompletionFeedEntry(completion_id=current.id, change=change))
        events.append(
            (
                payload(
                    completion_id=current.id,
                    person_id=person_id,
                    offering_id=offering_id,
                    leader_group_id=groups.get(person_id),
                    attended_sessions=count,
                    required_sessions=required,
                ),
                current.id,
            )
        )
    await session.flush()
    return events


def encode_cursor(xid: str, position: int) -> str:
    return cursors.encode(f"{xid}.{position}")


def decode_cursor(cursor: str) -> tuple[str, int]:
    xid, _, position = cursors.decode(cursor).partition(".")
    if not (xid.isdigit() and position.isdigit() and len(xid) <= 20 and len(position) <= 20):
        raise cursors.InvalidCursor("Start without a cursor, or pass `next_cursor` from the last page.")
    return xid, int(position)


async def feed(session: AsyncSession, cursor: str | None, limit: int) -> FeedPage:
    xid, position = decode_cursor(cursor) if cursor else ("0", 0)
    rows = await repository.feed_after(session, xid, position, limit)
    items = [FeedEntryPublic.model_validate(dict(r._mapping)) for r in rows]
    next_cursor = (
        encode_cursor(rows[-1].xid, rows[-1].position) if rows else (cursor or encode_cursor("0", 0))
    )
    return FeedPage(items=items, next_cursor=next_cursor)
