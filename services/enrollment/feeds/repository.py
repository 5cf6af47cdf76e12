"""Personal calendar feeds: the subscriptions, and the places a feed shows."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from services.enrollment.directory.models import Person
from services.enrollment.enrollments.models import Participation
from services.enrollment.notifications.models import CalendarFeed
from services.enrollment.offerings.models import OfferingView
from services.enrollment.sessions.models import SessionView


async def active_feeds(session: AsyncSession, person_id: uuid.UUID) -> list[CalendarFeed]:
    found = await session.execute(
        select(CalendarFeed)
        .where(CalendarFeed.person_id == person_id, col(CalendarFeed.revoked_at).is_(None))
        .order_by(col(CalendarFeed.created_at), col(CalendarFeed.id))
    )
    return list(found.scalars())


async def add(session: AsyncSession, feed: CalendarFeed) -> None:
    session.add(feed)
    await session.flush()


async def revoke(session: AsyncSession, person_id: uuid.UUID, feed_id: uuid.UUID) -> bool:
    """Revoke one of the person's active feeds; False if they have no such feed."""
    revoked = await session.execute(
        update(CalendarFeed)
        .where(
            col(CalendarFeed.id) == feed_id,
            col(CalendarFeed.person_id) == person_id,
            col(CalendarFeed.revoked_at).is_(None),
        )
        .values(revoked_at=func.now())
        .returning(col(CalendarFeed.id))
    )
    return revoked.first() is not None


async def reader(session: AsyncSession, secret_hash: bytes) -> uuid.UUID | None:
    """The person an active feed belongs to (its last read recorded), or None; a person HR has
    deactivated has no readable feed."""
    active = select(Person.id).where(col(Person.active).is_(True))
    found = await session.execute(
        update(CalendarFeed)
        .where(
            col(CalendarFeed.secret_hash) == secret_hash,
            col(CalendarFeed.revoked_at).is_(None),
            col(CalendarFeed.person_id).in_(active),
        )
        .values(last_read_at=func.now())
        .returning(col(CalendarFeed.person_id))
    )
    row = found.first()
    return row[0] if row else None


@dataclass(frozen=True)
class Place:
    course: SessionView
    offering: OfferingView
    status: str
    programme_size: int


async def places(session: AsyncSession, person_id: uuid.UUID, since: datetime) -> list[Place]:
    """The person's confirmed and waiting places in sessions that end after `since`, by start."""
    positioned = (
        select(func.count())
        .select_from(SessionView)
        .where(col(SessionView.offering_id) == col(OfferingView.id), col(SessionView.position).is_not(None))
        .correlate(OfferingView)
        .scalar_subquery()
    )
    found = await session.execute(
        select(SessionView, OfferingView, Participation.status, positioned)
        .join(Participation, col(Participation.session_id) == col(SessionView.id))
        .join(OfferingView, col(OfferingView.id) == col(SessionView.offering_id))
        .where(
            Participation.person_id == person_id,
            col(Participation.status).in_(("confirmed", "waitlisted")),
            col(SessionView.ends_at) > since,
        )
        .order_by(col(SessionView.starts_at), col(SessionView.id))
    )
    return [Place(course, offering, str(status), int(size)) for course, offering, status, size in found.all()]
