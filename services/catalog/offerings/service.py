"""Rules for offerings."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from services.catalog.offerings import repository
from services.catalog.offerings.models import Offering, OfferingStatus
from services.catalog.offerings.schemas import OfferingCreate
from services.kernel.problems import NotFound, Problem


class UnknownOfferingKind(Problem):
    status = 422
    slug = "unknown-offering-kind"
    title = "Unknown offering kind"


async def create_offering(session: AsyncSession, data: OfferingCreate) -> Offering:
    kind = await repository.get_kind(session, data.kind_code)
    if kind is None:
        raise UnknownOfferingKind(f"No offering kind {data.kind_code!r}; see GET /offering-kinds.")
    offering = Offering(
        kind_code=kind.code,
        title=data.title,
        summary=data.summary,
        booking_unit=(data.booking_unit or kind.default_booking_unit),
        status=OfferingStatus.published.value,
    )
    return await repository.add(session, offering)


async def get_offering(session: AsyncSession, offering_id: uuid.UUID) -> Offering:
    offering = await repository.get_offering(session, offering_id)
    if offering is None:
        raise NotFound(f"No offering {offering_id}.")
    return offering
