"""Tables of the `eventbus` schema (shared by every service); the migration creates them."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.types import UserDefinedType

from services.kernel.database import schema_metadata

SCHEMA = "eventbus"
NOTIFY_CHANNEL = "eventbus"

metadata = schema_metadata(SCHEMA)


class Xid8(UserDefinedType[str]):
    """PostgreSQL `xid8` (64-bit transaction id). Queries read and write it as text."""

    cache_ok = True

    def get_col_spec(self, **kw: object) -> str:
        return "XID8"


events = Table(
    "events",
    metadata,
    Column("id", BigInteger, Identity(always=False), primary_key=True),
    # The publishing transaction's id: the ordering fence compares it against pg_snapshot_xmin.
    Column("xid", Xid8, nullable=False, server_default=text("pg_current_xact_id()")),
    Column("event_id", UUID(as_uuid=True), nullable=False, unique=True),
    Column("topic", Text, nullable=False),
    Column("source", Text, nullable=False),
    Column("aggregate_type", Text, nullable=False),
    Column("aggregate_id", Text, nullable=False),
    Column("aggregate_version", Integer),
    Column("occurred_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("request_id", Text),
    Column("traceparent", Text),
    Column("payload_version", Integer, nullable=False),
    Column("payload", JSONB, nullable=False),
    Index("ix_events_xid_id", "xid", "id"),
    Index("ix_events_topic_xid_id", "topic", "xid", "id"),
)

subscriptions = Table(
    "subscriptions",
    metadata,
    Column("name", Text, primary_key=True),
    Column("topics", ARRAY(Text), nullable=False),
    # Position: the last event handled (or dead-lettered), as the pair (xid, id).
    Column("last_xid", Xid8, nullable=False, server_default=text("'0'::xid8")),
    Column("last_id", BigInteger, nullable=False, server_default=text("0")),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("next_attempt_at", DateTime(timezone=True)),
    Column("last_error", Text),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

dead_letters = Table(
    "dead_letters",
    metadata,
    Column("id", BigInteger, Identity(always=False), primary_key=True),
    Column(
        "subscription",
        Text,
        ForeignKey(subscriptions.c.name, ondelete="CASCADE"),
        nullable=False,
    ),
    Column("event_pk", BigInteger, ForeignKey(events.c.id), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("error", Text, nullable=False),
    Column("dead_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("resolved_at", DateTime(timezone=True)),
    Index("ix_dead_letters_subscription_resolved_at", "subscription", "resolved_at"),
)
