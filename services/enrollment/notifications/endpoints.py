"""HTTP endpoints of the mail queue (ops)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from services.enrollment.enrollments.problems import OfferingNotFound
from services.enrollment.notifications import service
from services.enrollment.notifications.models import DeliveryStatus
from services.enrollment.notifications.schemas import (
    MailDeliveryPage,
    MailDeliveryPublic,
    RemindersPublic,
    RemindersSetting,
)
from services.kernel.auth.tokens import CoordinatorOnly, OpsOnly
from services.kernel.database import SessionDep, TransactionalRoute
from services.kernel.paging import Paging
from services.kernel.problems import COMMON_RESPONSES, Forbidden, responses_for

router = APIRouter(
    route_class=TransactionalRoute, tags=["mail"], responses={**COMMON_RESPONSES, 403: Forbidden.openapi()}
)


@router.get("/mail-deliveries", summary="List mail deliveries (ops)")
async def list_mail_deliveries(
    session: SessionDep, _: OpsOnly, paging: Paging, status: DeliveryStatus | None = None
) -> MailDeliveryPage:
    """Notification mails and what became of each, the latest first; `status=failed` lists those that
    can never be sent, with the reason (a refused address, a message that cannot be built). A failed
    mail does not hold up the others."""
    found = await service.deliveries(session, status, limit=paging.fetch, offset=paging.offset)
    return paging.page(MailDeliveryPage, [MailDeliveryPublic.model_validate(d) for d in found])


@router.put(
    "/offerings/{offering_id}/reminders",
    summary="Turn reminders on or off for an offering",
    tags=["mail"],
    responses=responses_for(OfferingNotFound),
)
async def set_reminders(
    session: SessionDep, _: CoordinatorOnly, offering_id: uuid.UUID, body: RemindersSetting
) -> RemindersPublic:
    """Coordinators decide per offering whether participants get a reminder before each session (on
    by default; when and how early is the service's configuration). Turning them off stops reminders
    not yet sent."""
    await service.set_reminders(session, offering_id, body.reminders_enabled)
    return RemindersPublic(offering_id=offering_id, reminders_enabled=body.reminders_enabled)
