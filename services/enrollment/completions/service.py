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

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, func, select

from services.enrollment.completions.models import Completion, CompletionFeedEntry, CompletionStatus
from services.enrollment.completions.schemas import AttendanceUpdate, FeedEntryPublic, FeedPage
from services.enrollment.enrollments import repository as enrollments_repository
from services.enrollment.enrollments.models import Attendance, Enrollment, EnrollmentStatus, Participation
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
from services.enrollment.sessions.models import SessionStatus, SessionView
from services.kernel import clock, cursors
from services.kernel.auth.tokens import Principal
from services.kernel.database import uuid_in
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
    result = await session.execute(
        select(Participation)
        .where(
            Participation.session_id == session_id,
            Participation.status == EnrollmentStatus.confirmed,
            uuid_in(col(Participation.person_id), wanted),
        )
        .order_by(col(Participation.id))  # the service's lock order: rows of one table in id order
        .with_for_update()
    )
    parts = list(result.scalars().all())
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
    held = await session.scalar(
        select(func.count())
        .select_from(SessionView)
        .where(SessionView.offering_id == offering.id, SessionView.status != SessionStatus.cancelled)
    )
    return max(int(held or 0), 1)


async def _settle_completions(
    session: AsyncSession, principal: Principal, offering_id: uuid.UUID, person_ids: Sequence[uuid.UUID]
) -> list[tuple[EventPayload, uuid.UUID]]:
    """Record completions the rule now grants and withdraw those it no longer does."""
    offering = await session.get(OfferingView, offering_id)
    if offering is None:
        return []
    required = await required_sessions(session, offering)
    attended = dict(
        (
            await session.execute(
                select(Participation.person_id, func.count(func.distinct(Participation.session_id)))
                .join(SessionView, col(SessionView.id) == col(Participation.session_id))
                .where(
                    SessionView.offering_id == offering_id,
                    Participation.attendance == Attendance.attended,
                    uuid_in(col(Participation.person_id), person_ids),
                )
                .group_by(col(Participation.person_id))
            )
        ).all()
    )
    standing = {
        c.person_id: c
        for c in (
            await session.execute(
                select(Completion)
                .where(
                    Completion.offering_id == offering_id,
                    Completion.status == CompletionStatus.completed,
                    uuid_in(col(Completion.person_id), person_ids),
                )
                .order_by(col(Completion.id))
                .with_for_update()
            )
        ).scalars()
    }
    groups = await _groups_of(session, offering_id, person_ids)
    events: list[tuple[EventPayload, uuid.UUID]] = []
    now = clock.now()
    for person_id in sorted(set(person_ids)):
        count = int(attended.get(person_id, 0))
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


async def _groups_of(
    session: AsyncSession, offering_id: uuid.UUID, person_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, uuid.UUID]:
    """The leader group each person took the offering with, if they came as a group."""
    rows = await session.execute(
        select(Participation.person_id, Enrollment.leader_group_id)
        .join(Enrollment, col(Enrollment.id) == col(Participation.enrollment_id))
        .where(
            Enrollment.offering_id == offering_id,
            col(Enrollment.leader_group_id).is_not(None),
            uuid_in(col(Participation.person_id), person_ids),
        )
    )
    return {person_id: group_id for person_id, group_id in rows.all() if group_id is not None}


def encode_cursor(xid: str, position: int) -> str:
    return cursors.encode(f"{xid}.{position}")


def decode_cursor(cursor: str) -> tuple[str, int]:
    xid, _, position = cursors.decode(cursor).partition(".")
    if not (xid.isdigit() and position.isdigit() and len(xid) <= 20 and len(position) <= 20):
        raise cursors.InvalidCursor("Start without a cursor, or pass `next_cursor` from the last page.")
    return xid, int(position)


_FEED = text(
    """
    SELECT f.position, f.xid::text AS xid, f.change, f.recorded_at, c.id AS completion_id,
           c.person_id, p.external_id AS person_external_id, c.offering_id,
           o.title AS offering_title, o.kind_code, c.attended_sessions, c.required_sessions,
           c.completed_at
    FROM enrollment.completion_feed f
    JOIN enrollment.completions c ON c.id = f.completion_id
    JOIN enrollment.people p ON p.id = c.person_id
    LEFT JOIN enrollment.offerings o ON o.id = c.offering_id
    WHERE (f.xid, f.position) > (CAST(CAST(:xid AS text) AS xid8), :position)
      AND f.xid < pg_snapshot_xmin(pg_current_snapshot())
    ORDER BY f.xid, f.position
    LIMIT :limit
    """
)


async def feed(session: AsyncSession, cursor: str | None, limit: int) -> FeedPage:
    xid, position = decode_cursor(cursor) if cursor else ("0", 0)
    rows = (await session.execute(_FEED, {"xid": xid, "position": position, "limit": limit})).all()
    items = [FeedEntryPublic.model_validate(dict(r._mapping)) for r in rows]
    next_cursor = (
        encode_cursor(rows[-1].xid, rows[-1].position) if rows else (cursor or encode_cursor("0", 0))
    )
    return FeedPage(items=items, next_cursor=next_cursor)
