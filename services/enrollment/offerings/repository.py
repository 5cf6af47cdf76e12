"""Reads of the offering read model."""

from __future__ import annotations

import uuid
from collections.abc import Collection

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from services.enrollment.offerings.models import OfferingView


async def by_id(session: AsyncSession, ids: Collection[uuid.UUID]) -> dict[uuid.UUID, OfferingView]:
    """The offerings known here among these ids."""
    found = await session.execute(select(OfferingView).where(col(OfferingView.id).in_(ids)))
    return {o.id: o for o in found.scalars()}
