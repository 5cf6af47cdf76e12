"""SQL for offering kinds and offerings."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from services.catalog.offerings.models import Offering, OfferingKind


async def list_kinds(session: AsyncSession) -> Sequence[OfferingKind]:
    result = await session.execute(select(OfferingKind).order_by(col(OfferingKind.sort_order)))
    return result.scalars().all()


async def get_kind(session: AsyncSession, code: str) -> OfferingKind | None:
    return await session.get(OfferingKind, code)


async def list_offerings(
    session: AsyncSession, *, kind_code: str | None, limit: int, offset: int
) -> Sequence[Offering]:
    query = select(Offering).order_by(col(Offering.created_at).desc(), col(Offering.id))
    if kind_code is not None:
        query = query.where(Offering.kind_code == kind_code)
    result = await session.execute(query.limit(limit).offset(offset))
    return result.scalars().all()


async def get_offering(session: AsyncSession, offering_id: uuid.UUID) -> Offering | None:
    return await session.get(Offering, offering_id)


async def add(session: AsyncSession, offering: Offering) -> Offering:
    session.add(offering)
    await session.flush()
    return offering
