"""The record of mails handed to the sender: claimed once per notification event, then marked."""

from __future__ import annotations

import uuid

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from services.enrollment.notifications.models import DeliveryStatus, MailDelivery


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
