"""SQL for enrollments, participations and the session rows they lock.

The enrollment service's one lock order. Every path (requests, coordinators' actions, the consumers of
the catalogue's session events, the HR sync's deactivations and group changes) takes its locks in this
order and never the other way round, so no two of them can wait for each other:

1. the queue locks of the sessions concerned (transaction-level advisory locks, in key order) and
2. those sessions' rows (`FOR NO KEY UPDATE`, in id order), both in one statement: `lock_sessions`;
   a change of a session row (the catalogue's facts, the seat counts) is made only while holding it;
3. the enrollment rows to change (`FOR UPDATE`, in id order): `enrollments(lock=True)`, re-read, so their
   status is judged as it is now;
4. their participation rows (updated in primary-key order by the unit of work; attendance locks its
   rows in id order);
5. inserts only (audit, idempotency results, outbox events, mail deliveries), which wait for nothing.

Whatever is read to decide who may do what (the enrollment as first read, the person, the group, the
offering) is read before step 1, without locks.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Table, func, insert, or_, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from services.enrollment.directory.models import LeaderGroup, LeaderGroupMember, Person
from services.enrollment.enrollments.models import (
    ACTIVE,
    Enrollment,
    EnrollmentAudit,
    EnrollmentStatus,
    Participation,
)
from services.enrollment.offerings.models import OfferingView
from services.enrollment.sessions.models import SessionStatus, SessionView
from services.kernel.database import uuid_in

# Key space of the advisory locks that queue requests for a session ("ENRL"; see `lock_sessions`).
QUEUE_SPACE = 0x454E524C


def _queue_key(session_id: uuid.UUID) -> int:
    """A session's queue key: its id's first four bytes. Two sessions sharing a key only queue together."""
    return int.from_bytes(session_id.bytes[:4], "big", signed=True)


async def lock_sessions(session: AsyncSession, session_ids: Iterable[uuid.UUID]) -> list[SessionView]:
    """Lock session rows, always in id order (two requests locking overlapping sets cannot deadlock).

    Every decision about seats in a session is taken under its row lock: no overbooking, ever. The rows
    are re-read (`populate_existing`): a session loaded earlier in the transaction holds the counts from
    before the lock, and deciding on those would overbook.

    Requests queue for the sessions on transaction-level advisory locks first (in key order, so they
    cannot deadlock either), and only the request at the head of the queue takes the row locks. Queued
    on the row lock alone, a request that had waited for one holder was often overtaken by a newcomer,
    and PostgreSQL gives a request that follows a row's update chain a transaction id before it waits
    again; every transaction id held open holds back the event bus's ordering fence for all consumers,
    and in a rush for one session, waiting requests did so for most of the rush (bench/README.md). A
    request waiting for an advisory lock has no transaction id."""
    ids = sorted(set(session_ids))
    if not ids:
        return []
    # The queue's locks are taken in the same statement, by a subquery PostgreSQL runs once before the
    # first row (an init plan), in key order (the array's). Rows updated since the statement's snapshot
    # are locked in their latest version (FOR UPDATE follows the update), so nothing read is stale.
    queue = text(
        "(SELECT count(pg_advisory_xact_lock(:queue_space, key)) "
        "FROM unnest(CAST(:queue_keys AS int[])) AS key) >= 0"
    ).bindparams(queue_space=QUEUE_SPACE, queue_keys=sorted({_queue_key(i) for i in ids}))
    # FOR NO KEY UPDATE: a participation or enrollment inserted elsewhere checks its foreign key to the
    # session with a key-share lock, which this does not block (FOR UPDATE would).
    result = await session.execute(
        select(SessionView)
        .where(uuid_in(col(SessionView.id), ids), queue)
        .order_by(col(SessionView.id))
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    return list(result.scalars().all())


async def offering_session_ids(session: AsyncSession, offering_id: uuid.UUID) -> list[uuid.UUID]:
    """The scheduled sessions of an offering (a programme's sessions, taken together)."""
    result = await session.execute(
        select(SessionView.id).where(
            SessionView.offering_id == offering_id, SessionView.status == SessionStatus.scheduled
        )
    )
    return list(result.scalars().all())


async def get_session(session: AsyncSession, session_id: uuid.UUID) -> SessionView | None:
    return await session.get(SessionView, session_id)


async def get_offering(session: AsyncSession, offering_id: uuid.UUID) -> OfferingView | None:
    return await session.get(OfferingView, offering_id)


async def get(session: AsyncSession, enrollment_id: uuid.UUID) -> Enrollment | None:
    """An enrollment as it is, unlocked: to authorise and to find its sessions before locking them."""
    return await session.get(Enrollment, enrollment_id)


async def get_person(session: AsyncSession, person_id: uuid.UUID) -> Person | None:
    return await session.get(Person, person_id)


async def people(session: AsyncSession, person_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Person]:
    ids = list(set(person_ids))
    if not ids:
        return {}
    result = await session.execute(select(Person).where(uuid_in(col(Person.id), ids)))
    return {p.id: p for p in result.scalars().all()}


async def get_group(session: AsyncSession, group_id: uuid.UUID) -> LeaderGroup | None:
    return await session.get(LeaderGroup, group_id)


async def group_people(session: AsyncSession, group: LeaderGroup) -> list[Person]:
    """The active people of a group: its resolved members and its top leader, each once, by name."""
    members = select(LeaderGroupMember.person_id).where(LeaderGroupMember.group_id == group.id)
    result = await session.execute(
        select(Person)
        .where(
            Person.active == True,  # noqa: E712
            or_(col(Person.id).in_(members), col(Person.id) == group.leader_id),
        )
        .order_by(col(Person.name), col(Person.id))
    )
    return list(result.scalars().all())


async def active_places(
    session: AsyncSession, session_ids: Sequence[uuid.UUID], person_ids: Sequence[uuid.UUID]
) -> set[tuple[uuid.UUID, uuid.UUID]]:
    """(person, session) of every place held or waited for by these people in these sessions."""
    result = await session.execute(
        select(Participation.person_id, Participation.session_id).where(
            uuid_in(col(Participation.session_id), session_ids),
            uuid_in(col(Participation.person_id), person_ids),
            col(Participation.status).in_(ACTIVE),
        )
    )
    return {(row.person_id, row.session_id) for row in result}


async def next_queue_ranks(session: AsyncSession, count: int) -> list[int]:
    """`count` new waiting-list ranks, ascending: each above every rank given before."""
    result = await session.execute(
        text("SELECT nextval('enrollment.enrollment_queue_rank') FROM generate_series(1, :n)"), {"n": count}
    )
    return sorted(result.scalars().all())


async def waiting_count(session: AsyncSession, offering_id: uuid.UUID, session_id: uuid.UUID | None) -> int:
    """How many wait on a session's (or a programme's) list; its sessions are locked."""
    statement = select(func.count()).select_from(Enrollment).where(*_queue(offering_id, session_id))
    return int(await session.scalar(statement) or 0)


async def insert_decided(
    session: AsyncSession, enrollments: Sequence[Any], participations: Sequence[Any], audit: Sequence[Any]
) -> None:
    """Write enrollments decided together: one statement per table, whatever their number. Each row is an
    object with an attribute per column of its table (`admission.NewEnrollment`, ...)."""
    tables: list[tuple[Table, Sequence[Any], set[str]]] = [
        (_table(Enrollment), enrollments, set()),
        (_table(Participation), participations, set()),
        (_table(EnrollmentAudit), audit, {"id"}),  # an identity column
    ]
    for table, rows, skip in tables:
        if rows:
            names = [c.name for c in table.columns if c.name not in skip]
            values = [{name: getattr(row, name) for name in names} for row in rows]
            await session.execute(insert(table), values)


def _table(model: type[Any]) -> Table:
    table: Table = model.__table__
    return table


async def add(session: AsyncSession, *rows: Enrollment | Participation | EnrollmentAudit) -> None:
    session.add_all(rows)
    await session.flush()


async def participations(
    session: AsyncSession, enrollment_ids: Iterable[uuid.UUID], *, fresh: bool = False
) -> list[Participation]:
    """The places of these enrollments. `fresh` re-reads rows loaded earlier in the transaction (before
    the locks were taken), overwriting them: only for places not yet changed in this transaction."""
    ids = list(set(enrollment_ids))
    if not ids:
        return []
    statement = (
        select(Participation)
        .where(uuid_in(col(Participation.enrollment_id), ids))
        .order_by(
            col(Participation.enrollment_id), col(Participation.person_id), col(Participation.session_id)
        )
    )
    if fresh:
        statement = statement.execution_options(populate_existing=True)
    result = await session.execute(statement)
    return list(result.scalars().all())


async def enrollments(
    session: AsyncSession, enrollment_ids: Iterable[uuid.UUID], *, lock: bool = False
) -> list[Enrollment]:
    """Enrollments by id, in id order. `lock`: step 3 of the lock order (their sessions are locked
    already): the rows are locked and re-read, since their status may have changed since they were first
    read; this is what it is now."""
    ids = list(set(enrollment_ids))
    if not ids:
        return []
    statement = select(Enrollment).where(uuid_in(col(Enrollment.id), ids)).order_by(col(Enrollment.id))
    if lock:
        statement = statement.with_for_update().execution_options(populate_existing=True)
    result = await session.execute(statement)
    return list(result.scalars().all())


def _queue(offering_id: uuid.UUID, session_id: uuid.UUID | None) -> list[ColumnElement[bool]]:
    return [
        col(Enrollment.offering_id) == offering_id,
        col(Enrollment.session_id).is_(None)
        if session_id is None
        else col(Enrollment.session_id) == session_id,
        col(Enrollment.status) == EnrollmentStatus.waitlisted,
    ]


async def waiting(
    session: AsyncSession,
    offering_id: uuid.UUID,
    session_id: uuid.UUID | None,
    *,
    limit: int | None = None,
    offset: int = 0,
) -> list[Enrollment]:
    """The waiting list of a session (or of a programme taken whole), first in line first."""
    result = await session.execute(
        select(Enrollment)
        .where(*_queue(offering_id, session_id))
        .order_by(col(Enrollment.queue_rank), col(Enrollment.id))
        .limit(limit)
        .offset(offset)
    )
    return list(result.scalars().all())


async def neighbours(
    session: AsyncSession,
    offering_id: uuid.UUID,
    session_id: uuid.UUID | None,
    moving: uuid.UUID,
    position: int,
) -> tuple[Decimal | None, Decimal | None, int]:
    """For an entry to stand at `position` (1-based) on its list: the ranks of the entries that would stand
    just before and just after it (None at either end), and how many others wait."""
    others = [*_queue(offering_id, session_id), col(Enrollment.id) != moving]
    length = int(await session.scalar(select(func.count()).select_from(Enrollment).where(*others)) or 0)
    position = max(1, min(position, length + 1))
    ranks = list(
        (
            await session.execute(
                select(col(Enrollment.queue_rank))
                .where(*others)
                .order_by(col(Enrollment.queue_rank), col(Enrollment.id))
                .offset(max(position - 2, 0))
                .limit(2 if position > 1 else 1)
            )
        ).scalars()
    )
    if position == 1:
        return None, (ranks[0] if ranks else None), length
    return ranks[0], (ranks[1] if len(ranks) > 1 else None), length


async def positions(session: AsyncSession, enrollments: Sequence[Enrollment]) -> dict[uuid.UUID, int]:
    """1-based places on their waiting lists of those enrollments that wait, in one query.

    A list is a session's, or a programme's (session_id NULL, which PARTITION BY groups as one)."""
    waiting = [e for e in enrollments if e.status == EnrollmentStatus.waitlisted]
    if not waiting:
        return {}
    place = (
        func.row_number()
        .over(
            partition_by=(col(Enrollment.offering_id), col(Enrollment.session_id)),
            order_by=(col(Enrollment.queue_rank), col(Enrollment.id)),
        )
        .label("place")
    )
    ranked = (
        select(col(Enrollment.id).label("id"), place)
        .where(
            uuid_in(col(Enrollment.offering_id), {e.offering_id for e in waiting}),
            col(Enrollment.status) == EnrollmentStatus.waitlisted,
        )
        .subquery()
    )
    rows = await session.execute(
        select(ranked.c.id, ranked.c.place).where(uuid_in(ranked.c.id, [e.id for e in waiting]))
    )
    return {row.id: int(row.place) for row in rows}


async def position(session: AsyncSession, enrollment: Enrollment) -> int | None:
    """1-based place on the waiting list; None unless waiting."""
    return (await positions(session, [enrollment])).get(enrollment.id)


async def future_active_participations(
    session: AsyncSession,
    now: datetime,
    *,
    person_ids: Sequence[uuid.UUID] | None = None,
    group_ids: Sequence[uuid.UUID] | None = None,
    session_id: uuid.UUID | None = None,
    session_ids: Sequence[uuid.UUID] | None = None,
) -> list[Participation]:
    """Confirmed or waiting places in sessions that have not started, filtered by person, group or session
    (given sessions: every place in them, whenever they are)."""
    query = (
        select(Participation)
        .join(SessionView, col(SessionView.id) == col(Participation.session_id))
        .join(Enrollment, col(Enrollment.id) == col(Participation.enrollment_id))
        .where(col(Participation.status).in_(ACTIVE))
        .order_by(col(Participation.enrollment_id), col(Participation.id))
    )
    if session_ids is not None:
        query = query.where(uuid_in(col(Participation.session_id), session_ids))
    elif session_id is None:
        query = query.where(col(SessionView.starts_at) > now)
    else:
        query = query.where(Participation.session_id == session_id)
    if person_ids is not None:
        query = query.where(uuid_in(col(Participation.person_id), person_ids))
    if group_ids is not None:
        query = query.where(uuid_in(col(Enrollment.leader_group_id), group_ids))
    return list((await session.execute(query)).scalars().all())


async def group_enrollment_ids(
    session: AsyncSession, group_ids: Sequence[uuid.UUID], now: datetime
) -> list[uuid.UUID]:
    """Active enrollments of these groups in sessions that have not started."""
    result = await session.execute(
        select(Enrollment.id)
        .join(Participation, col(Participation.enrollment_id) == col(Enrollment.id))
        .join(SessionView, col(SessionView.id) == col(Participation.session_id))
        .where(
            uuid_in(col(Enrollment.leader_group_id), group_ids),
            col(Enrollment.status).in_(ACTIVE),
            col(SessionView.starts_at) > now,
        )
        .distinct()
    )
    return list(result.scalars().all())
