"""Rules for scheduling sessions; scheduling publishes `catalog.session_scheduled` in the same transaction."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from services.catalog.events import SOURCE, SessionScheduled
from services.catalog.offerings import service as offerings
from services.catalog.offerings.models import OfferingStatus
from services.catalog.sessions import repository
from services.catalog.sessions.models import CourseSession
from services.catalog.sessions.schemas import SessionCreate
from services.kernel.eventbus import publish
from services.kernel.problems import Conflict, NotFound


class OfferingArchived(Conflict):
    slug = "offering-archived"
    title = "Offering is archived"


async def schedule(session: AsyncSession, data: SessionCreate) -> CourseSession:
    offering = await offerings.get_offering(session, data.offering_id)
    if offering.status == OfferingStatus.archived.value:
        raise OfferingArchived("Sessions cannot be added to an archived offering.")
    course_session = await repository.add(
        session,
        CourseSession(
            offering_id=offering.id,
            starts_at=data.starts_at,
            ends_at=data.ends_at,
            capacity=data.capacity,
            venue=data.venue,
        ),
    )
    await publish(
        session,
        SessionScheduled(
            session_id=course_session.id,
            offering_id=offering.id,
            offering_title=offering.title,
            offering_kind=offering.kind_code,
            booking_unit=offering.booking_unit,
            starts_at=course_session.starts_at,
            ends_at=course_session.ends_at,
            capacity=course_session.capacity,
            venue=course_session.venue,
        ),
        source=SOURCE,
        aggregate_id=course_session.id,
        aggregate_version=1,
    )
    return course_session


async def get(session: AsyncSession, session_id: uuid.UUID) -> CourseSession:
    course_session = await repository.get(session, session_id)
    if course_session is None:
        raise NotFound(f"No session {session_id}.")
    return course_session
