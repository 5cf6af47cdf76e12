"""The record of mails handed to the sender: claimed once per notification event, then marked."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, func, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from services.enrollment.notifications.models import CalendarSequence, DeliveryStatus, MailDelivery
from services.enrollment.offerings.models import OfferingView
from services.enrollment.sessions.models import SessionView


async def claim(
    session: AsyncSession, event_id: uuid.UUID, kind: str, recipient: uuid.UUID, message_id: str
) -> bool:
    """Record that the event's mail is being sent; False if it was claimed before."""
    inserted = await session.execute(
        insert(MailDelivery)
        .values(
            event_id=event_id,
            kind=kind,
            recipient_person_id=recipient,
            status=DeliveryStatus.sending,
            message_id=message_id,
        )
        .on_conflict_do_nothing(index_elements=["event_id"])
        .returning(col(MailDelivery.event_id))
    )
    return inserted.first() is not None


async def forget(session: AsyncSession, event_id: uuid.UUID) -> None:
    await session.execute(delete(MailDelivery).where(col(MailDelivery.event_id) == event_id))


async def deliveries(
    session: AsyncSession, status: DeliveryStatus | None, *, limit: int, offset: int
) -> list[MailDelivery]:
    """Mail deliveries, the latest claimed first; only those with `status` if given."""
    statement = select(MailDelivery)
    if status is not None:
        statement = statement.where(MailDelivery.status == status)
    found = await session.execute(
        statement.order_by(col(MailDelivery.claimed_at).desc(), col(MailDelivery.event_id))
        .limit(limit)
        .offset(offset)
    )
    return list(found.scalars())


async def calendar_sequences(
    session: AsyncSession, person_id: uuid.UUID, session_ids: list[uuid.UUID]
) -> dict[uuid.UUID, CalendarSequence]:
    """What the person's calendar last got for each of these sessions (locked: one mail at a time)."""
    found = await session.execute(
        select(CalendarSequence)
        .where(CalendarSequence.person_id == person_id, col(CalendarSequence.session_id).in_(session_ids))
        .with_for_update()
    )
    return {row.session_id: row for row in found.scalars()}


async def remember_sequence(
    session: AsyncSession,
    person_id: uuid.UUID,
    session_id: uuid.UUID,
    sequence: int,
    catalog_sequence: int,
    method: str,
) -> None:
    values = {"sequence": sequence, "catalog_sequence": catalog_sequence, "method": method}
    statement = insert(CalendarSequence).values(person_id=person_id, session_id=session_id, **values)
    await session.execute(
        statement.on_conflict_do_update(index_elements=["person_id", "session_id"], set_=values)
    )


async def programme_size(session: AsyncSession, offering_id: str | uuid.UUID | None) -> int:
    """How many numbered sessions the offering's programme has ("samling 3 av 6"); 0 for none."""
    if offering_id is None:
        return 0
    count = await session.scalar(
        select(func.count())
        .select_from(SessionView)
        .where(SessionView.offering_id == uuid.UUID(str(offering_id)), col(SessionView.position).is_not(None))
    )
    return int(count or 0)


async def claim_due_reminders(
    session: AsyncSession, now: datetime, *, days: int, hour: int, limit: int
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """Record the reminders due now and return them as (session, person): confirmed places in scheduled
    sessions that have not started, of offerings with reminders on, whose reminder time has come and
    which were taken before it (someone who enrolls later has just had their confirmation). A reminder
    already recorded is never returned again, on any replica."""
    rows = await session.execute(
        text(
            """
            INSERT INTO enrollment.session_reminders (session_id, person_id)
            SELECT p.session_id, p.person_id
            FROM enrollment.participations p
            JOIN enrollment.sessions s ON s.id = p.session_id
            JOIN enrollment.offerings o ON o.id = s.offering_id
            -- Due `days` days before the day the session starts (in Oslo), at `hour`.
            CROSS JOIN LATERAL (
                SELECT (date_trunc('day', s.starts_at AT TIME ZONE 'Europe/Oslo')
                        - make_interval(days => :days) + make_interval(hours => :hour))
                       AT TIME ZONE 'Europe/Oslo' AS due_at
            ) d
            WHERE p.status = 'confirmed' AND s.status = 'scheduled' AND o.reminders_enabled
              AND s.starts_at > :now AND d.due_at <= :now AND p.created_at < d.due_at
              AND NOT EXISTS (
                  SELECT 1 FROM enrollment.session_reminders r
                  WHERE r.session_id = p.session_id AND r.person_id = p.person_id
              )
            ORDER BY s.starts_at, p.session_id, p.person_id
            LIMIT :limit
            ON CONFLICT DO NOTHING
            RETURNING session_id, person_id
            """
        ),
        {"now": now, "days": days, "hour": hour, "limit": limit},
    )
    return [(row.session_id, row.person_id) for row in rows]


async def set_reminders(session: AsyncSession, offering_id: uuid.UUID, enabled: bool) -> bool:
    """Turn an offering's reminders on or off; False if the offering is not known here."""
    changed = await session.execute(
        update(OfferingView)
        .where(col(OfferingView.id) == offering_id)
        .values(reminders_enabled=enabled)
        .returning(col(OfferingView.id))
    )
    return changed.first() is not None
