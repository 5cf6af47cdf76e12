"""What every change of enrollments is built from: the target (a session, or a programme taken whole),
the seats each enrollment holds, the changes collected in one transaction and written with their events
and notifications. Seats are decided under the locks of the sessions concerned (`repository.lock_sessions`,
in the service's one lock order), so nothing is ever overbooked; every change of seats publishes the
session's new total with a rising version in the same transaction. New enrollments are decided many at a
time (`admission`); the waiting list (`waitinglist`), cancellation (`cancellation`) and the reactions to
the catalogue's and the directory's changes (`reactions`) one operation at a time."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from services.enrollment.enrollments import lookups, repository, rules
from services.enrollment.enrollments.models import (
    Enrollment,
    EnrollmentAudit,
    EnrollmentKind,
    EnrollmentStatus,
)
from services.enrollment.enrollments.problems import (
    EnrollmentWindowClosed,
    NotOpen,
    OfferingNotFound,
    SessionStarted,
)
from services.enrollment.events import SOURCE, NotificationKind, NotificationRequested, ParticipationFacts
from services.enrollment.offerings.models import BookingUnit, OfferingView
from services.enrollment.sessions.models import SessionStatus, SessionView
from services.kernel.eventbus import EventPayload, publish_many
from services.kernel.schemas import oslo_iso

SYSTEM = "system"


INACTIVE_REASON = "Personen er ikke lenger aktiv i HR-systemet"


LEFT_GROUP = "Har gått ut av ledergruppen"


GROUP_ENDED = "Ledergruppen er avviklet i HR-systemet"


CONFIRMED = EnrollmentStatus.confirmed


WAITLISTED = EnrollmentStatus.waitlisted


CANCELLED = EnrollmentStatus.cancelled


@dataclass
class Target:
    """The locked sessions an enrollment takes seats in: one session, or a programme's sessions."""

    offering: OfferingView
    session_id: uuid.UUID | None
    sessions: list[SessionView]

    @property
    def scheduled(self) -> list[SessionView]:
        return sorted(
            (s for s in self.sessions if s.status == SessionStatus.scheduled), key=lambda s: s.starts_at
        )

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


async def target_for(session: AsyncSession, offering: OfferingView, session_id: uuid.UUID | None) -> Target:
    ids = (
        [session_id]
        if session_id is not None
        else await repository.offering_session_ids(session, offering.id)
    )
    return Target(offering, session_id, await repository.lock_sessions(session, ids))


async def offering_view(session: AsyncSession, offering_id: uuid.UUID) -> OfferingView:
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
    def booking_unit(self) -> BookingUnit: ...
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
    return min(holding, 1) if enrollment.booking_unit == BookingUnit.group else holding


def holdings(enrollment: Booked, parts: Sequence[Place]) -> dict[uuid.UUID, int]:
    return {sid: _seats_in(enrollment, parts, sid) for sid in {p.session_id for p in parts}}


def settle(
    sessions: dict[uuid.UUID, SessionView],
    before: dict[uuid.UUID, int],
    enrollment: Booked,
    parts: Sequence[Place],
) -> None:
    """Move each session's confirmed-seat total by what the enrollment's change did to it."""
    after = holdings(enrollment, parts)
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


def calendar_facts(course: SessionView) -> dict[str, Any]:
    """A session as a mail shows it and its calendar part describes it."""
    return {
        "session_id": str(course.id),
        "starts_at": course.starts_at.isoformat(),
        "ends_at": course.ends_at.isoformat(),
        "venue": course.venue,
        "room": course.room,
        "meeting_url": course.meeting_url,
        "status": course.status.value,
        "sequence": course.catalog_sequence,
        "position": course.position,
        "description": course.description,
        "description_en": course.description_en,
        "cancellation_deadline": (
            course.cancellation_deadline.isoformat() if course.cancellation_deadline else None
        ),
    }


def notify(
    changes: Changes,
    person_ids: set[uuid.UUID],
    kind: NotificationKind,
    target: Target,
    places: Sequence[Place] = (),
    **data: Any,
) -> None:
    """One notification per person for the whole change, naming each session it touched for them: the
    sessions of their `places` (or, without places, the target's scheduled sessions), each marked `held`
    when the person has a confirmed place in it (what a calendar invitation is sent for)."""
    first = target.first or (target.sessions[0] if target.sessions else None)
    details: dict[str, Any] = {
        "offering_id": str(target.offering.id),
        "offering_title": target.offering.title,
        "offering_title_en": target.offering.title_en,
        "session_id": str(target.session_id) if target.session_id else None,
        "starts_at": first.starts_at.isoformat() if first else None,
        **{k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in data.items()},
    }
    by_id = {s.id: s for s in target.sessions}
    every = [] if places else [{**calendar_facts(s), "held": False} for s in target.scheduled]
    for person_id in sorted(person_ids):
        theirs = sorted(
            (p for p in places if p.person_id == person_id and p.session_id in by_id),
            key=lambda p: by_id[p.session_id].starts_at,
        )
        sessions = (
            [{**calendar_facts(by_id[p.session_id]), "held": p.status == CONFIRMED} for p in theirs]
            if places
            else every
        )
        changes.events.append(
            (
                NotificationRequested(
                    recipient_person_id=person_id, kind=kind, data={**details, "sessions": sessions}
                ),
                person_id,
            )
        )


async def write_changes(session: AsyncSession, changes: Changes) -> None:
    await session.flush()
    if changes.audit:
        await repository.add(session, *changes.audit)
    if changes.events:
        await publish_many(session, changes.events, source=SOURCE)


def participation_events(
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


async def still_eligible(session: AsyncSession, enrollment: Enrollment, offering: OfferingView) -> bool:
    if enrollment.kind == EnrollmentKind.group:
        assert enrollment.leader_group_id is not None
        group = await repository.get_group(session, enrollment.leader_group_id)
        if group is None or not group.active:
            return False
        if enrollment.audience_checked:
            facts = await lookups.group_facts(session, group.id)
            return rules.refusal(offering, facts, group=True) is None
        return True
    assert enrollment.person_id is not None
    person = await repository.get_person(session, enrollment.person_id)
    if person is None or not person.active:
        return False
    if enrollment.audience_checked:
        return rules.refusal(offering, await lookups.person_facts(session, person.id), group=False) is None
    return True


async def target_of(session: AsyncSession, enrollment: Enrollment) -> Target:
    return await target_for(
        session, await offering_view(session, enrollment.offering_id), enrollment.session_id
    )
