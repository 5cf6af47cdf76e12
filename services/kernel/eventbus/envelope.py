"""What an event is: the envelope every event carries and the base class of versioned payloads."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict


class EventPayload(BaseModel):
    """Base of every published payload. Subclasses name their topic, aggregate type and schema version.

    Publishers own their payload models; consumers parse with models of their own that ignore unknown
    fields (tolerant reader), so a publisher may add fields without breaking anyone. A breaking change
    bumps `version`.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    topic: ClassVar[str]
    aggregate_type: ClassVar[str]
    version: ClassVar[int] = 1
    # Internal: a request between services (mail to send), not a fact an integrator is offered as a
    # webhook.
    internal: ClassVar[bool] = False


class ConsumedPayload(BaseModel):
    """Base of the models a consumer reads payloads with: unknown fields are ignored."""

    model_config = ConfigDict(extra="ignore", frozen=True)


class Event(BaseModel):
    """A delivered event, as a handler receives it and as the ops API shows it."""

    model_config = ConfigDict(frozen=True)

    id: int
    xid: str
    event_id: uuid.UUID
    topic: str
    source: str
    aggregate_type: str
    aggregate_id: str
    aggregate_version: int | None
    occurred_at: datetime
    request_id: str | None
    traceparent: str | None = None
    payload_version: int
    payload: dict[str, Any]

    @classmethod
    def from_row(cls, row: Any) -> Event:
        return cls(
            id=row.id,
            xid=row.xid,
            event_id=row.event_id,
            topic=row.topic,
            source=row.source,
            aggregate_type=row.aggregate_type,
            aggregate_id=row.aggregate_id,
            aggregate_version=row.aggregate_version,
            occurred_at=row.occurred_at,
            request_id=row.request_id,
            traceparent=row.traceparent,
            payload_version=row.payload_version,
            payload=row.payload,
        )


EVENT_COLUMNS = (
    "id, xid::text AS xid, event_id, topic, source, aggregate_type, aggregate_id, aggregate_version, "
    "occurred_at, request_id, traceparent, payload_version, payload"
)
