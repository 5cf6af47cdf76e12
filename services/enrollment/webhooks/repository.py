"""SQL of webhooks: endpoints, their subscriptions' positions, and the attempts log."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.enrollment.webhooks.models import WebhookAttempt, WebhookEndpoint, subscription_name
from services.enrollment.webhooks.sender import Result
from services.kernel.eventbus import Event
from services.kernel.eventbus import repository as bus
from services.kernel.eventbus.repository import Position


async def get(session: AsyncSession, endpoint_id: uuid.UUID, *, lock: bool = False) -> WebhookEndpoint | None:
    return await session.get(WebhookEndpoint, endpoint_id, with_for_update=lock, populate_existing=lock)


async def page(session: AsyncSession, limit: int, offset: int) -> Sequence[WebhookEndpoint]:
    rows = await session.scalars(
        select(WebhookEndpoint)
        .order_by(col(WebhookEndpoint.created_at), col(WebhookEndpoint.id))
        .limit(limit)
        .offset(offset)
    )
    return rows.all()


async def endpoint_ids(session: AsyncSession) -> list[uuid.UUID]:
    return list((await session.scalars(select(col(WebhookEndpoint.id)))).all())


async def count(session: AsyncSession) -> int:
    return int((await session.scalar(select(func.count()).select_from(WebhookEndpoint))) or 0)


async def start_subscription(session: AsyncSession, endpoint_id: uuid.UUID, topics: list[str]) -> None:
    """The endpoint's subscription, placed after every event visible now: a new endpoint receives what
    happens from its registration on (earlier events by replay)."""
    name = subscription_name(endpoint_id)
    await bus.register(session, name, topics)
    await bus.advance(session, name, await bus.end_position(session))


async def drop_subscription(session: AsyncSession, endpoint_id: uuid.UUID) -> None:
    await session.execute(
        text("DELETE FROM eventbus.subscriptions WHERE name = :name"),
        {"name": subscription_name(endpoint_id)},
    )


async def position_since(session: AsyncSession, topics: list[str], since: datetime) -> Position | None:
    """The position before the first event (in delivery order) of the topics that occurred at or after
    `since`; None when there is none."""
    row = (
        await session.execute(
            text(
                """
                SELECT e.xid::text AS xid, e.id FROM eventbus.events e
                WHERE e.occurred_at >= :since AND e.topic = ANY(:topics)
                ORDER BY e.xid, e.id LIMIT 1
                """
            ),
            {"since": since, "topics": topics},
        )
    ).one_or_none()
    return Position(row.xid, row.id - 1) if row is not None else None


async def record_attempt(session: AsyncSession, endpoint_id: uuid.UUID, event: Event, result: Result) -> None:
    session.add(
        WebhookAttempt(
            endpoint_id=endpoint_id,
            event_id=event.event_id,
            topic=event.topic,
            status_code=result.status_code,
            delivered=result.delivered,
            error=result.error,
            duration_ms=result.duration_ms,
        )
    )
    await session.flush()


async def attempts(
    session: AsyncSession, endpoint_id: uuid.UUID, limit: int, offset: int
) -> Sequence[WebhookAttempt]:
    rows = await session.scalars(
        select(WebhookAttempt)
        .where(col(WebhookAttempt.endpoint_id) == endpoint_id)
        .order_by(col(WebhookAttempt.id).desc())
        .limit(limit)
        .offset(offset)
    )
    return rows.all()


async def set_failing(session: AsyncSession, endpoint_id: uuid.UUID, since: datetime | None) -> None:
    await session.execute(
        update(WebhookEndpoint).where(col(WebhookEndpoint.id) == endpoint_id).values(failing_since=since)
    )


async def disable(session: AsyncSession, endpoint_id: uuid.UUID, reason: str, at: datetime) -> None:
    await session.execute(
        update(WebhookEndpoint)
        .where(col(WebhookEndpoint.id) == endpoint_id)
        .values(enabled=False, disabled_at=at, disabled_reason=reason, updated_at=func.now())
    )
