"""Registered webhook endpoints and the log of delivery attempts (enrollment schema)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Column, DateTime, ForeignKey, Identity, Index, Text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import Field

from services.kernel.models import TableBase, server_timestamp


class WebhookEndpoint(TableBase, table=True):
    """An integrator's endpoint: where to deliver which topics, the signing secrets, and whether it is
    enabled (with the reason when the service disabled it). Where its deliveries stand is its event-bus
    subscription (`subscription_name`)."""

    __tablename__ = "webhook_endpoints"
    __table_args__ = {"schema": "enrollment"}

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    url: str = Field(max_length=2000)
    description: str | None = Field(default=None, max_length=500)
    topics: list[str] = Field(sa_column=Column(ARRAY(Text), nullable=False))
    secret: str = Field(max_length=100)
    # After a rotation the old secret signs too, until `previous_secret_until`.
    previous_secret: str | None = Field(default=None, max_length=100)
    previous_secret_until: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    enabled: bool = True
    disabled_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    disabled_reason: str | None = None
    # The first failure since the last success: persistent failure is measured from it.
    failing_since: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    created_at: datetime | None = server_timestamp()
    updated_at: datetime | None = server_timestamp()


# An endpoint's event-bus subscription is named by this and its id.
SUBSCRIPTION_PREFIX = "enrollment.webhook."


def subscription_name(endpoint_id: uuid.UUID) -> str:
    return f"{SUBSCRIPTION_PREFIX}{endpoint_id}"


class WebhookAttempt(TableBase, table=True):
    """One attempt at delivering one event to one endpoint: its answer or why there was none."""

    __tablename__ = "webhook_attempts"
    __table_args__ = (
        Index("ix_webhook_attempts_endpoint_id", "endpoint_id", "id"),
        Index("ix_webhook_attempts_attempted_at", "attempted_at"),
        {"schema": "enrollment"},
    )

    id: int | None = Field(default=None, sa_column=Column(BigInteger, Identity(), primary_key=True))
    endpoint_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("enrollment.webhook_endpoints.id", ondelete="CASCADE"), nullable=False)
    )
    event_id: uuid.UUID
    topic: str
    attempted_at: datetime | None = server_timestamp()
    status_code: int | None = None
    delivered: bool
    error: str | None = None
    duration_ms: int
