"""Rules for sessions: scheduling (one or a programme's series), edits, rescheduling and cancellation.

Each write records who did it, bumps the session's `version`, and publishes its event in the same
transaction. Rescheduling and cancelling raise the RFC 5545 `SEQUENCE`, so calendars that imported the
session update the entry instead of adding a second one. When a reschedule moves a session earlier than
its enrollment window's close or its cancellation deadline, those are pulled back to the new start (and
the history says so).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.catalog.events import (
    SOURCE,
    SessionCancelled,
    SessionCapacityChanged,
    SessionFacts,
    SessionRescheduled,
    SessionScheduled,
    SessionUpdated,
)
from services.catalog.history import repository as history
from services.catalog.offerings import service as offerings
from services.catalog.offerings.models import Offering
from services.catalog.sessions import repository
from services.catalog.sessions.models import CourseSession, SessionStatus
from services.catalog.sessions.schemas import (
    SeriesCreate,
    SessionCancel,
    SessionCreate,
    SessionReschedule,
    SessionUpdate,
    check_times,
)
from services.kernel import clock
from services.kernel.auth.tokens import Principal
from services.kernel.eventbus import publish
from services.kernel.problems import Conflict, NotFound, Problem
from services.kernel.schemas import OSLO, oslo_iso


class SessionNotFound(NotFound):
    slug = "session-not-found"
    title = "Session not found"


class SessionNotScheduled(Conflict):
    slug = "session-not-scheduled"
    title = "Session is cancelled or completed"


class InvalidSessionTimes(Problem):
    status = 422
    slug = "invalid-session-times"
    title = "Invalid session times"


class CapacityBelowConfirmed(Conflict):
    slug = "capacity-below-confirmed"
    title = "The capacity would be below the seats already confirmed"


class StartsInPast(Conflict):
    slug = "session-start-in-past"
    title = "A session cannot be moved into the past"


def _facts(offering: Offering, course_session: CourseSession) -> dict[str, Any]:
    return {
        "session_id": course_session.id,
        "offering_id": offering.id,
        "offering_title": offering.title,
        "offering_title_en": offering.title_en,
        "offering_kind": offering.kind_code,
        "booking_unit": offering.booking_unit,
        "position": course_session.position,
        "description": course_session.description,
        "description_en": course_session.description_en,
        "starts_at": course_session.starts_at,
        "ends_at": course_session.ends_at,
        "capacity": course_session.capacity,
        "venue": course_session.venue,
        "room": course_session.room,
        "meeting_url": course_session.meeting_url,
        "enrollment_opens_at": course_session.enrollment_opens_at,
        "enrollment_closes_at": course_session.enrollment_closes_at,
        "cancellation_deadline": course_session.cancellation_deadline,
        "status": course_session.status,
        "sequence": course_session.sequence,
    }


async def _emit(session: AsyncSession, payload: SessionFacts, course_session: CourseSession) -> None:
    await publish(
        session,
        payload,
        source=SOURCE,
        aggregate_id=course_session.id,
        aggregate_version=course_session.version,
    )


def _new_session(offering: Offering, data: SessionCreate | SeriesCreate, **times: Any) -> CourseSession:
    return CourseSession(
        offering_id=offering.id,
        capacity=data.capacity,
        description=data.description,
        description_en=data.description_en,
        venue=data.venue,
        room=data.room,
        meeting_url=str(data.meeting_url) if data.meeting_url else None,
        enrollment_opens_at=data.enrollment_opens_at,
        enrollment_closes_at=data.enrollment_closes_at,
        cancellation_deadline=data.cancellation_deadline,
        **times,
    )


async def schedule(session: AsyncSession, principal: Principal, data: SessionCreate) -> CourseSession:
    offering = await offerings.lock_for_change(session, data.offering_id)
    position = data.position
    if position is None and offering.is_programme:
        position = await repository.next_position(session, offering.id)
    course_session = await repository.add(
        session,
        _new_session(offering, data, starts_at=data.starts_at, ends_at=data.ends_at, position=position),
    )
    await history.record(
        session,
        offering_id=offering.id,
        session_id=course_session.id,
        action="session-scheduled",
        actor_oid=principal.oid,
        details={"starts_at": course_session.starts_at.isoformat()},
    )
    await _emit(session, SessionScheduled(**_facts(offering, course_session)), course_session)
    return course_session


async def schedule_series(
    session: AsyncSession, principal: Principal, offering_id: uuid.UUID, data: SeriesCreate
) -> list[CourseSession]:
    """Generate a programme's sessions; single dates can then be rescheduled one by one."""
    offering = await offerings.lock_for_change(session, offering_id)
    first_position = await repository.next_position(session, offering.id)
    # Wall-clock arithmetic in Europe/Oslo: 08:30 stays 08:30 across the switch to and from summer time.
    first_local = data.first_starts_at.astimezone(OSLO)
    created = []
    for index in range(data.count):
        starts_at = first_local + timedelta(days=data.interval_days * index)
        course_session = await repository.add(
            session,
            _new_session(
                offering,
                data,
                starts_at=starts_at,
                ends_at=starts_at + timedelta(minutes=data.duration_minutes),
                position=first_position + index,
            ),
        )
        await _emit(session, SessionScheduled(**_facts(offering, course_session)), course_session)
        created.append(course_session)
    await history.record(
        session,
        offering_id=offering.id,
        action="series-scheduled",
        actor_oid=principal.oid,
        details={"count": data.count, "first_starts_at": data.first_starts_at.isoformat()},
    )
    return created


async def get_visible(session: AsyncSession, principal: Principal, session_id: uuid.UUID) -> CourseSession:
    course_session = await repository.get(session, session_id)
    if course_session is None:
        raise SessionNotFound(f"No session {session_id}.")
    await offerings.get_visible(session, principal, course_session.offering_id)
    return course_session


async def lock_for_change(session: AsyncSession, session_id: uuid.UUID) -> tuple[Offering, CourseSession]:
    course_session = await repository.get(session, session_id, lock=True)
    if course_session is None:
        raise SessionNotFound(f"No session {session_id}.")
    offering = await offerings.lock_for_change(session, course_session.offering_id)
    return offering, course_session


def _require_scheduled(course_session: CourseSession) -> None:
    if course_session.status != SessionStatus.scheduled:
        raise SessionNotScheduled(f"The session is {course_session.status}.")


async def changed(
    session: AsyncSession,
    principal: Principal,
    offering: Offering,
    course_session: CourseSession,
    action: str,
    *payloads: SessionFacts,
    details: dict[str, Any] | None = None,
) -> CourseSession:
    """After a change: bump the version, record who did what, publish the events (one transaction)."""
    course_session.version += 1
    course_session.updated_at = clock.now()
    await session.flush()
    await history.record(
        session,
        offering_id=offering.id,
        session_id=course_session.id,
        action=action,
        actor_oid=principal.oid,
        details=details,
    )
    for payload in payloads:
        await _emit(session, payload, course_session)
    return course_session


async def update(
    session: AsyncSession,
    principal: Principal,
    offering: Offering,
    course_session: CourseSession,
    data: SessionUpdate,
) -> CourseSession:
    """Apply an edit; the caller has locked the session and checked If-Match."""
    _require_scheduled(course_session)
    changes = data.model_dump(exclude_unset=True, exclude={"allow_overbooking"})
    capacity = changes.get("capacity")
    if capacity is not None and capacity < course_session.seats_taken and not data.allow_overbooking:
        raise CapacityBelowConfirmed(
            f"{course_session.seats_taken} seats are confirmed (as last reported by the enrollment "
            f"service); a capacity of {capacity} would overbook the session by "
            f"{course_session.seats_taken - capacity}. Send allow_overbooking=true to do it anyway: "
            "nobody confirmed loses their place.",
            extra={"confirmed": course_session.seats_taken, "capacity": capacity},
        )
    if "meeting_url" in changes and changes["meeting_url"] is not None:
        changes["meeting_url"] = str(data.meeting_url)
    # Only what differs is a change: a PATCH that changes nothing keeps the ETag and writes no history.
    changes = {field: value for field, value in changes.items() if getattr(course_session, field) != value}
    if not changes:
        return course_session
    merged = {**course_session.model_dump(), **changes}
    try:
        check_times(
            merged["starts_at"],
            merged["ends_at"],
            merged["enrollment_opens_at"],
            merged["enrollment_closes_at"],
            merged["cancellation_deadline"],
        )
    except ValueError as exc:
        raise InvalidSessionTimes(str(exc)) from exc
    if merged["venue"] is None and merged["meeting_url"] is None:
        raise InvalidSessionTimes("A session needs a venue, a meeting_url, or both.")
    previous_capacity = course_session.capacity
    for field, value in changes.items():
        setattr(course_session, field, value)
    facts = _facts(offering, course_session)
    payloads: list[SessionFacts] = []
    if course_session.capacity != previous_capacity:
        payloads.append(SessionCapacityChanged(**facts, previous_capacity=previous_capacity))
    if set(changes) - {"capacity"}:
        payloads.append(SessionUpdated(**facts))
    return await changed(
        session,
        principal,
        offering,
        course_session,
        "session-updated",
        *payloads,
        details={"fields": sorted(changes)},
    )


def not_in_past(starts_at: datetime) -> None:
    if starts_at <= clock.now():
        raise StartsInPast(
            f"The new start {oslo_iso(starts_at)} has passed; reschedule into the future.",
            extra={"starts_at": oslo_iso(starts_at)},
        )


def move(
    offering: Offering,
    course_session: CourseSession,
    starts_at: datetime,
    ends_at: datetime,
    reason: str,
    **change: Any,
) -> tuple[SessionRescheduled, dict[str, Any]]:
    """Move a locked, scheduled session: its event and its history details. `change` marks a step that
    changes several sessions (`change_id`, `change_sessions`)."""
    _require_scheduled(course_session)
    previous_starts_at, previous_ends_at = course_session.starts_at, course_session.ends_at
    course_session.starts_at, course_session.ends_at = starts_at, ends_at
    pulled_back = []
    for field in ("enrollment_closes_at", "cancellation_deadline"):
        value = getattr(course_session, field)
        if value is not None and value > starts_at:
            setattr(course_session, field, starts_at)
            pulled_back.append(field)
    opens = course_session.enrollment_opens_at
    if opens is not None and opens >= starts_at:
        raise InvalidSessionTimes(
            "The new start is before the enrollment window opens; change the window first.",
            extra={"session_id": str(course_session.id)},
        )
    course_session.sequence += 1
    moved = SessionRescheduled(
        **_facts(offering, course_session),
        previous_starts_at=previous_starts_at,
        previous_ends_at=previous_ends_at,
        reason=reason,
        **change,
    )
    details = {
        "from": previous_starts_at.isoformat(),
        "to": starts_at.isoformat(),
        "reason": reason,
        "pulled_back_to_start": pulled_back,
    }
    return moved, details


async def reschedule(
    session: AsyncSession, principal: Principal, session_id: uuid.UUID, data: SessionReschedule
) -> CourseSession:
    not_in_past(data.starts_at)
    offering, course_session = await lock_for_change(session, session_id)
    moved, details = move(offering, course_session, data.starts_at, data.ends_at, data.reason)
    return await changed(
        session, principal, offering, course_session, "session-rescheduled", moved, details=details
    )


def drop(offering: Offering, course_session: CourseSession, reason: str, **change: Any) -> SessionCancelled:
    """Cancel a locked, scheduled session: its event (`change` as for `move`)."""
    _require_scheduled(course_session)
    course_session.status = SessionStatus.cancelled
    course_session.status_reason = reason
    course_session.sequence += 1
    return SessionCancelled(**_facts(offering, course_session), reason=reason, **change)


async def cancel(
    session: AsyncSession, principal: Principal, session_id: uuid.UUID, data: SessionCancel
) -> CourseSession:
    offering, course_session = await lock_for_change(session, session_id)
    cancelled = drop(offering, course_session, data.reason)
    return await changed(
        session,
        principal,
        offering,
        course_session,
        "session-cancelled",
        cancelled,
        details={"reason": data.reason},
    )


class SessionNotOver(Conflict):
    slug = "session-not-over"
    title = "Session has not ended"


async def complete(session: AsyncSession, principal: Principal, session_id: uuid.UUID) -> CourseSession:
    """Mark a held session completed once it has ended (attendance itself belongs to enrollment)."""
    offering, course_session = await lock_for_change(session, session_id)
    _require_scheduled(course_session)
    if course_session.ends_at > clock.now():
        raise SessionNotOver("A session can be marked completed once it has ended.")
    course_session.status = SessionStatus.completed
    updated = SessionUpdated(**_facts(offering, course_session))
    return await changed(session, principal, offering, course_session, "session-completed", updated)
