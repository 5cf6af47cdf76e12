"""What ops see of the mail queue: every delivery with its outcome, failed ones with the reason."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.enrollment.notifications import repository
from services.enrollment.notifications.models import DeliveryStatus, MailDelivery


async def deliveries(
    session: AsyncSession, status: DeliveryStatus | None, *, limit: int, offset: int
) -> list[MailDelivery]:
    return await repository.deliveries(session, status, limit=limit, offset=offset)
