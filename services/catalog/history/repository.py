"""SQL for the change history."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from services.catalog.history.models import Change


async def record(
    session: AsyncSession,
    *,
    offering_id: uuid.UUID,
    action: str,
    actor_oid: str,
    session_id: uuid.UUID | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    session.add(
        Change(
            offering_id=offering_id,
            session_id=session_id,
            action=action,
            actor_oid=actor_oid,
            details=details or {},
        )
    )
    await session.flush()


async def for_offering(
    session: AsyncSession, offering_id: uuid.UUID, *, limit: int, offset: int
) -> Sequence[Change]:
    result = await session.execute(
        select(Change)
        .where(Change.offering_id == offering_id)
        .order_by(col(Change.id).desc())
        .limit(limit)
        .offset(offset)
    )
    return result.scalars().all()
