"""What ops see of the mail queue: every delivery with its outcome, failed ones with the reason."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from services.enrollment.enrollments.problems import OfferingNotFound
from services.enrollment.notifications import repository
from services.enrollment.notifications.models import DeliveryStatus, MailDelivery


async def deliveries(
    session: AsyncSession, status: DeliveryStatus | None, *, limit: int, offset: int
) -> list[MailDelivery]:
    return await repository.deliveries(session, status, limit=limit, offset=offset)


async def set_reminders(session: AsyncSession, offering_id: uuid.UUID, enabled: bool) -> None:
    if not await repository.set_reminders(session, offering_id, enabled):
        raise OfferingNotFound(f"No offering {offering_id} is known here.")
