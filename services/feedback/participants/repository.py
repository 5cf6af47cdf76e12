"""SQL for participants."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from services.feedback.participants.models import Participant


async def list_for_session(
    session: AsyncSession, session_id: uuid.UUID, *, limit: int, offset: int
) -> Sequence[Participant]:
    result = await session.execute(
        select(Participant)
        .where(Participant.session_id == session_id)
        .order_by(col(Participant.confirmed_at), col(Participant.participation_id))
        .limit(limit)
        .offset(offset)
    )
    return result.scalars().all()
