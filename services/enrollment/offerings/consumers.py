"""Keeps the offering read model in step with the catalogue's offering events."""

from __future__ import annotations

import uuid

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.enrollment.offerings.models import BookingUnit, OfferingStatus, OfferingView
from services.kernel.eventbus import Event, Subscription
from services.kernel.eventbus.envelope import ConsumedPayload


class OfferingFacts(ConsumedPayload):
    offering_id: uuid.UUID
    kind_code: str
    title: str
    title_en: str | None = None
    audience: str
    audience_org_unit_ids: list[uuid.UUID]
    booking_unit: BookingUnit
    is_programme: bool
    on_request: bool = False
    completion_min_sessions: int | None = None
    status: OfferingStatus
    offering_version: int


async def on_offering_event(session: AsyncSession, event: Event) -> None:
    payload = OfferingFacts.model_validate(event.payload)
    values = payload.model_dump(exclude={"offering_id"})
    statement = insert(OfferingView).values(id=payload.offering_id, **values)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["id"],
            set_=values,
            where=col(OfferingView.offering_version) <= statement.excluded.offering_version,
        )
    )


OFFERINGS = Subscription(
    name="enrollment.offerings",
    topics=("catalog.offering_published", "catalog.offering_updated", "catalog.offering_archived"),
    handler=on_offering_event,
)
