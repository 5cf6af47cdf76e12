"""Transactional publishing: the event row is written in the caller's transaction, beside its change."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.kernel.eventbus.envelope import EventPayload
from services.kernel.eventbus.tables import NOTIFY_CHANNEL
from services.kernel.requestid import current_request_id
from services.kernel.telemetry import current_traceparent

# One statement: wake listeners and insert the event. PostgreSQL folds identical notifications raised in
# one transaction into one, so a transaction that publishes many events still sends a single NOTIFY, and
# only when it commits; a rolled-back transaction sends nothing and leaves no event.
_INSERT = text(
    f"""
    WITH wake AS (SELECT pg_notify('{NOTIFY_CHANNEL}', ''))
    INSERT INTO eventbus.events (
        event_id, topic, source, aggregate_type, aggregate_id, aggregate_version,
        request_id, traceparent, payload_version, payload
    )
    SELECT :event_id, :topic, :source, :aggregate_type, :aggregate_id, :aggregate_version,
           :request_id, :traceparent, :payload_version, CAST(:payload AS jsonb)
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
            "traceparent": current_traceparent(),
            "payload_version": payload.version,
            "payload": payload.model_dump_json(),
        },
    )
    return event_id


_INSERT_MANY = text(
    f"""
    WITH wake AS (SELECT pg_notify('{NOTIFY_CHANNEL}', ''))
    INSERT INTO eventbus.events (
        event_id, topic, source, aggregate_type, aggregate_id, aggregate_version,
        request_id, traceparent, payload_version, payload
    )
    SELECT e.event_id, e.topic, :source, e.aggregate_type, e.aggregate_id, NULL,
           e.request_id, e.traceparent, e.payload_version, e.payload
    FROM wake, unnest(
        CAST(:event_ids AS uuid[]), CAST(:topics AS text[]), CAST(:aggregate_types AS text[]),
        CAST(:aggregate_ids AS text[]), CAST(:payload_versions AS int[]), CAST(:payloads AS jsonb[]),
        CAST(:request_ids AS text[]), CAST(:traceparents AS text[])
    ) AS e(event_id, topic, aggregate_type, aggregate_id, payload_version, payload, request_id, traceparent)
    """
)

# The request an event comes from: (request id, W3C traceparent).
RequestContext = tuple[str | None, str | None]


def request_context() -> RequestContext:
    """The current request's id and trace, to publish with later from another task."""
    return current_request_id(), current_traceparent()


async def publish_many(
    session: AsyncSession,
    items: Sequence[tuple[EventPayload, str | uuid.UUID]],
    *,
    source: str,
    contexts: Sequence[RequestContext] | None = None,
) -> int:
    """Add many events (payload, aggregate id) to the caller's transaction in one statement.

    For bulk work such as an HR sync of thousands of records, where one round trip per event would
    dominate, and for enrollments decided together, where `contexts` names each event's own request
    (default: the current one for all). Order within the call is kept (ids are assigned in array order).
    """
    if not items:
        return 0
    if contexts is None:
        contexts = [request_context()] * len(items)
    assert len(contexts) == len(items)
    await session.execute(
        _INSERT_MANY,
        {
            "source": source,
            "request_ids": [request_id for request_id, _ in contexts],
            "traceparents": [traceparent for _, traceparent in contexts],
            "event_ids": [uuid.uuid4() for _ in items],
            "topics": [payload.topic for payload, _ in items],
            "aggregate_types": [payload.aggregate_type for payload, _ in items],
            "aggregate_ids": [str(aggregate_id) for _, aggregate_id in items],
            "payload_versions": [payload.version for payload, _ in items],
            "payloads": [payload.model_dump_json() for payload, _ in items],
        },
    )
    return len(items)
