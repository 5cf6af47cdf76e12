"""Admission: how a session (or a programme taken whole) decides its enrollments, many per transaction.

A request first does everything that needs no lock, in its own short read (`service.prepare`: whom it
enrolls, in what, that the caller may, the idempotency claim), and hands the result (`Ask`) to the
process's `Admissions`. Per waiting list (a session's, or a programme's), one task takes every request
that has arrived and decides them together in one transaction:

1. lock the sessions (the service's lock order, steps 1-2);
2. read, for the whole batch at once, the places its people already hold there and, when the first one
   has to wait, the length of the waiting list;
3. judge each request in arrival order against the seat and queue counters held in memory (window,
   status, duplicates, room; a group takes all its seats or waits whole);
4. write them all with one statement per table (enrollments, places, history, events, idempotency
   results) and commit;
5. only then answer each request with its own result, or its own refusal.

While one batch holds the lock the next one gathers, so under a rush batches grow to what the time of
the previous allows (group commit), and a quiet session decides a request alone with no added wait. A
request whose client went away before its batch was taken is left out. With several replicas each
batches its own requests and the session's lock orders the batches: nothing is ever overbooked.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Request, status
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.enrollment.enrollments import repository
from services.enrollment.enrollments.asks import Ask
from services.enrollment.enrollments.changes import (
    CONFIRMED,
    WAITLISTED,
    Changes,
    Target,
    check_window,
    notify,
    participation_events,
    settle,
)
from services.enrollment.enrollments.models import EnrollmentKind
from services.enrollment.enrollments.pausing import refuse_if_paused
from services.enrollment.enrollments.problems import AlreadyEnrolled, NotOpen
from services.enrollment.enrollments.schemas import EnrollmentPublic
from services.enrollment.events import SOURCE, EnrollmentConfirmed, EnrollmentWaitlisted, NotificationKind
from services.enrollment.idempotency import service as idempotency
from services.enrollment.offerings.models import BookingUnit
from services.enrollment.sessions.models import SessionStatus
from services.kernel import clock
from services.kernel.database import MAX_ATTEMPTS, pause_before_retry, retryable
from services.kernel.eventbus.publish import RequestContext, publish_many, request_context
from services.kernel.problems import Problem, TransactionConflict

log = logging.getLogger(__name__)

# Requests decided in one transaction at most: bounds how long one batch holds the session's lock.
MAX_BATCH = 250


@dataclass(slots=True)
class NewEnrollment:
    """An enrollment decided in a batch, as it is written (`enrollment.enrollments`' columns): plain
    objects, because a batch makes hundreds and the ORM's instances cost many times more to build."""

    id: uuid.UUID
    offering_id: uuid.UUID
    session_id: uuid.UUID | None
    kind: str
    person_id: uuid.UUID | None
    leader_group_id: uuid.UUID | None
    status: str
    booking_unit: BookingUnit
    seats: int
    audience_checked: bool
    queue_rank: int
    enrolled_by_oid: str
    confirmed_at: datetime | None
    created_at: datetime
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None
    version: int = 1


@dataclass(slots=True)
class NewPlace:
    """A participation decided in a batch (`enrollment.participations`' columns)."""

    id: uuid.UUID
    enrollment_id: uuid.UUID
    session_id: uuid.UUID
    person_id: uuid.UUID
    status: str
    created_at: datetime
    attendance: str | None = None
    attendance_marked_at: datetime | None = None
    attendance_marked_by_oid: str | None = None
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None


@dataclass(slots=True)
class NewAuditEntry:
    """A line of an enrollment's history decided in a batch (`enrollment.enrollment_audit`'s columns)."""

    enrollment_id: uuid.UUID
    action: str
    actor_oid: str
    details: dict[str, Any]
    at: datetime
    reason: str | None = None


@dataclass
class _Pending:
    ask: Ask
    claim: idempotency.Claim | None
    context: RequestContext
    answer: asyncio.Future[EnrollmentPublic]


@dataclass
class _Decided:
    """What deciding one batch produced, written together at its end."""

    enrollments: list[NewEnrollment] = field(default_factory=list)
    participations: list[NewPlace] = field(default_factory=list)
    audit: list[NewAuditEntry] = field(default_factory=list)
    changes: Changes = field(default_factory=Changes)
    contexts: list[RequestContext] = field(default_factory=list)
    idempotent: list[tuple[idempotency.Claim, int, Any]] = field(default_factory=list)


class Admissions:
    """The per-process queues of enrollment requests, one per waiting list, and their deciding tasks."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], *, max_batch: int = MAX_BATCH) -> None:
        self._sessionmaker = sessionmaker
        self._max_batch = max_batch
        self._queues: dict[tuple[uuid.UUID, uuid.UUID | None], list[_Pending]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    async def admit(self, ask: Ask, claim: idempotency.Claim | None = None) -> EnrollmentPublic:
        """Decide the request with the others for its list; its answer once that is committed."""
        pending = _Pending(ask, claim, request_context(), asyncio.get_running_loop().create_future())
        queue = self._queues.get(ask.queue)
        if queue is None:
            queue = self._queues[ask.queue] = []
            # A context of its own: the task outlives the request that started it.
            task = asyncio.create_task(self._drain(ask.queue, queue), context=contextvars.Context())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        queue.append(pending)
        return await pending.answer

    async def _drain(self, key: tuple[uuid.UUID, uuid.UUID | None], queue: list[_Pending]) -> None:
        try:
            while queue:
                batch = [p for p in queue[: self._max_batch] if not p.answer.done()]
                del queue[: self._max_batch]
                if batch:
                    await self._decide(batch)
        finally:
            # Nothing awaits between the last look at the queue and this: no request can be left in it.
            del self._queues[key]
            for pending in queue:
                _fail(pending, TransactionConflict("The enrollment was not decided; try again."))

    async def _decide(self, batch: list[_Pending]) -> None:
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                async with self._sessionmaker() as session:
                    answers = await decide(session, batch)
                    await session.commit()
            except Exception as exc:
                if retryable(exc) and attempt < MAX_ATTEMPTS:
                    await pause_before_retry(attempt)
                    continue
                if retryable(exc):
                    exc = TransactionConflict("The enrollment met concurrent changes; nothing was changed.")
                else:
                    log.warning("deciding %d enrollments failed: %s", len(batch), exc)
                for pending in batch:
                    _fail(pending, exc)
                return
            except BaseException as exc:  # cancelled: the outcome is unknown, so no request is answered 2xx
                for pending in batch:
                    _fail(pending, exc)
                raise
            for pending, answer in zip(batch, answers, strict=True):
                if isinstance(answer, BaseException):
                    _fail(pending, answer)
                elif not pending.answer.done():
                    pending.answer.set_result(answer)
            return


async def decide_now(session: AsyncSession, ask: Ask) -> EnrollmentPublic:
    """Decide one request in the caller's transaction, with what else that transaction writes (a
    coaching request's session is booked together with the request's new state)."""
    pending = _Pending(ask, None, request_context(), asyncio.get_running_loop().create_future())
    [answer] = await decide(session, [pending])
    if isinstance(answer, Problem):
        raise answer
    return answer


def _fail(pending: _Pending, error: BaseException) -> None:
    if not pending.answer.done():
        pending.answer.set_exception(error)


async def decide(session: AsyncSession, batch: Sequence[_Pending]) -> list[EnrollmentPublic | Problem]:
    """Decide a batch of requests for one waiting list in the caller's transaction, in arrival order."""
    now = clock.now()
    asks = [p.ask for p in batch]
    session_ids = sorted({i for ask in asks for i in ask.session_ids})
    locked = {s.id: s for s in await repository.lock_sessions(session, session_ids)}
    taken = await repository.active_places(
        session, session_ids, sorted({person.id for ask in asks for person in ask.people})
    )
    ranks = await repository.next_queue_ranks(session, len(asks))
    waiting: int | None = None  # the list's length, read when the first request has to wait
    decided = _Decided()
    answers: list[EnrollmentPublic | Problem] = []
    for pending, rank in zip(batch, ranks, strict=True):
        ask = pending.ask
        target = Target(ask.offering, ask.session_id, [locked[i] for i in ask.session_ids if i in locked])
        try:
            _admissible(ask, target, taken, now)
        except Problem as refusal:
            answers.append(refusal)
            continue
        confirmed = ask.seats <= target.room()
        position: int | None = None
        if not confirmed:
            if waiting is None:
                waiting = await repository.waiting_count(session, *ask.queue)
            waiting += 1
            position = waiting
        enrollment, parts = _enrollment(ask, target, rank, now, confirmed=confirmed)
        taken.update((p.person_id, p.session_id) for p in parts)
        _record(decided, pending, target, enrollment, parts, position)
        answer = _public(enrollment, parts, position)
        if pending.claim is not None:
            decided.idempotent.append(
                (pending.claim, status.HTTP_201_CREATED, answer.model_dump(mode="json"))
            )
        answers.append(answer)
    await session.flush()  # the sessions' seat counters
    await repository.insert_decided(session, decided.enrollments, decided.participations, decided.audit)
    await publish_many(session, decided.changes.events, source=SOURCE, contexts=decided.contexts)
    await idempotency.complete_many(session, decided.idempotent)
    return answers


def _admissible(ask: Ask, target: Target, taken: set[tuple[uuid.UUID, uuid.UUID]], now: datetime) -> None:
    """Refuse the request if its sessions are closed to it now, or its people already have a place."""
    if (
        ask.session_id is not None
        and target.sessions
        and target.sessions[0].status != SessionStatus.scheduled
    ):
        raise NotOpen(f"The session is {target.sessions[0].status}.")
    check_window(target, now)
    refuse_if_paused(target.scheduled)
    held = sorted({str(p.id) for p in ask.people for s in target.scheduled if (p.id, s.id) in taken})
    if held:
        raise AlreadyEnrolled(
            "Already holding or waiting for a place here: " + ", ".join(held), extra={"person_ids": held}
        )


def _enrollment(
    ask: Ask, target: Target, rank: int, now: datetime, *, confirmed: bool
) -> tuple[NewEnrollment, list[NewPlace]]:
    state = CONFIRMED if confirmed else WAITLISTED
    enrollment = NewEnrollment(
        id=uuid.uuid4(),
        offering_id=ask.offering.id,
        session_id=ask.session_id,
        kind=EnrollmentKind.group if ask.group_id else EnrollmentKind.person,
        person_id=ask.person_id,
        leader_group_id=ask.group_id,
        status=state,
        booking_unit=ask.booking_unit,
        seats=ask.seats,
        audience_checked=ask.audience_checked,
        queue_rank=rank,
        enrolled_by_oid=ask.principal_oid,
        confirmed_at=now if confirmed else None,
        created_at=now,
    )
    parts = [
        NewPlace(uuid.uuid4(), enrollment.id, s.id, p.id, state, now)
        for s in target.scheduled
        for p in ask.people
    ]
    return enrollment, parts


def _public(enrollment: NewEnrollment, parts: list[NewPlace], position: int | None) -> EnrollmentPublic:
    """The answer, from what was decided (its places in the order the reads give them: person, session)."""
    return EnrollmentPublic.model_validate(
        {
            "id": enrollment.id,
            "offering_id": enrollment.offering_id,
            "session_id": enrollment.session_id,
            "kind": enrollment.kind,
            "person_id": enrollment.person_id,
            "leader_group_id": enrollment.leader_group_id,
            "status": enrollment.status,
            "seats": enrollment.seats,
            "waitlist_position": position,
            "confirmed_at": enrollment.confirmed_at,
            "cancelled_at": None,
            "cancel_reason": None,
            "created_at": enrollment.created_at,
            "participants": [
                {
                    "id": p.id,
                    "session_id": p.session_id,
                    "person_id": p.person_id,
                    "status": p.status,
                    "attendance": None,
                    "cancel_reason": None,
                }
                for p in sorted(parts, key=lambda p: (p.person_id, p.session_id))
            ],
        }
    )


def _record(
    decided: _Decided,
    pending: _Pending,
    target: Target,
    enrollment: NewEnrollment,
    parts: list[NewPlace],
    position: int | None,
) -> None:
    """Count the enrollment's seats and gather its rows, history and events (with its request's context)."""
    sessions = {s.id: s for s in target.scheduled}
    settle(sessions, {}, enrollment, parts)
    decided.enrollments.append(enrollment)
    decided.participations += parts
    decided.audit.append(
        NewAuditEntry(
            enrollment_id=enrollment.id,
            action=enrollment.status,
            actor_oid=enrollment.enrolled_by_oid,
            details={"seats": enrollment.seats, "people": len(pending.ask.people)},
            at=enrollment.created_at,
        )
    )
    changes = decided.changes
    people = {p.id: p for p in pending.ask.people}
    events_before = len(changes.events)
    if position is None:
        changes.events += participation_events(EnrollmentConfirmed, enrollment, parts, people, sessions)
        notify(changes, set(people), NotificationKind.confirmed, target, parts)
    else:
        changes.events += participation_events(
            EnrollmentWaitlisted, enrollment, parts, people, sessions, position=position
        )
        notify(changes, set(people), NotificationKind.waitlisted, target, parts, position=position)
    decided.contexts += [pending.context] * (len(changes.events) - events_before)


async def admissions_of(request: Request) -> Admissions:
    """The process's admissions, made on first use, deciding on the service's decision pool (never
    waiting behind the requests it decides for a connection)."""
    state = request.app.state
    admissions: Admissions | None = getattr(state, "admissions", None)
    if admissions is None:
        admissions = state.admissions = Admissions(state.decision_sessionmaker)
    return admissions


AdmissionsDep = Annotated[Admissions, Depends(admissions_of)]
