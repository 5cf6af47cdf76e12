"""HTTP endpoints of the mail queue (ops)."""

from __future__ import annotations

from fastapi import APIRouter

from services.enrollment.notifications import service
from services.enrollment.notifications.models import DeliveryStatus
from services.enrollment.notifications.schemas import MailDeliveryPage, MailDeliveryPublic
from services.kernel.auth.tokens import OpsOnly
from services.kernel.database import SessionDep, TransactionalRoute
from services.kernel.paging import Paging
from services.kernel.problems import COMMON_RESPONSES, Forbidden

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
