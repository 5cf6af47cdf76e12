"""Transactional publishing: the event row is written in the caller's transaction, beside its change."""

from __future__ import annotations

import uuid

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.kernel.eventbus.envelope import EventPayload
from services.kernel.eventbus.tables import NOTIFY_CHANNEL
from services.kernel.requestid import current_request_id

# One statement: wake listeners and insert the event. PostgreSQL folds identical notifications raised in
# one transaction into one, so a transaction that publishes many events still sends a single NOTIFY, and
# only when it commits; a rolled-back transaction sends nothing and leaves no event.
_INSERT = text(
    f"""
    WITH wake AS (SELECT pg_notify('{NOTIFY_CHANNEL}', ''))
    INSERT INTO eventbus.events (
        event_id, topic, source, aggregate_type, aggregate_id, aggregate_version,
        request_id, payload_version, payload
    )
    SELECT :event_id, :topic, :source, :aggregate_type, :aggregate_id, :aggregate_version,
           :request_id, :payload_version, CAST(:payload AS jsonb)
    FROM wake
    RETURNING id
    """
)


async def publish(
    session: AsyncSession,
    payload: EventPayload,
    *,
    source: str,
    aggregate_id: str | uuid.UUID,
    aggregate_version: int | None = None,
    event_id: uuid.UUID | None = None,
) -> uuid.UUID:
    """Add an event to the caller's transaction; it becomes visible to consumers when that commits."""
    event_id = event_id or uuid.uuid4()
    await session.execute(
        _INSERT,
        {
            "event_id": event_id,
            "topic": payload.topic,
            "source": source,
            "aggregate_type": payload.aggregate_type,
            "aggregate_id": str(aggregate_id),
            "aggregate_version": aggregate_version,
            "request_id": current_request_id(),
            "payload_version": payload.version,
            "payload": payload.model_dump_json(),
        },
    )
    return event_id
