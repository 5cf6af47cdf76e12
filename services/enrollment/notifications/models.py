"""Mails handed to the sender, keyed by the notification event: each is sent once."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import DateTime, LargeBinary
from sqlmodel import Field

from services.kernel.models import EnumText, TableBase, server_timestamp


class DeliveryStatus(StrEnum):
    sending = "sending"  # claimed, handed to the mail server; not yet confirmed
    sent = "sent"
    uncertain = "uncertain"  # the process died between handing over and recording it: not re-sent
    skipped = "skipped"  # no address (the person has left), nothing to send
    failed = "failed"  # can never be sent (the server refused it for good, or no message can be built)


class MailDelivery(TableBase, table=True):
    __tablename__ = "mail_deliveries"
    __table_args__ = {"schema": "enrollment"}

    event_id: uuid.UUID = Field(primary_key=True)
    kind: str
    recipient_person_id: uuid.UUID
    status: DeliveryStatus = Field(sa_type=EnumText(DeliveryStatus))
    message_id: str
    claimed_at: datetime | None = server_timestamp()
    sent_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    # Why it failed for good (the server's reply, or what could not be built).
    error: str | None = None


class CalendarSequence(TableBase, table=True):
    """What a person's calendar last got for a session: its SEQUENCE, the catalogue's SEQUENCE it was
    built on and the iTIP method. A calendar client applies a REQUEST or CANCEL only when its SEQUENCE is
    not below the one it holds, so someone who leaves and joins again needs numbers above the
    catalogue's own: each mail's number is one above the last whenever anything changed for the person."""

    __tablename__ = "calendar_sequences"
    __table_args__ = {"schema": "enrollment"}

    person_id: uuid.UUID = Field(primary_key=True)
    session_id: uuid.UUID = Field(primary_key=True)
    sequence: int
    catalog_sequence: int
    method: str


class SessionReminder(TableBase, table=True):
    """A reminder sent (or handed to the mail queue): one per person and session, whatever restarts."""

    __tablename__ = "session_reminders"
    __table_args__ = {"schema": "enrollment"}

    session_id: uuid.UUID = Field(primary_key=True)
    person_id: uuid.UUID = Field(primary_key=True)
    sent_at: datetime | None = server_timestamp()


class CalendarFeed(TableBase, table=True):
    """A personal calendar subscription: the URL's secret is shown once and kept as its SHA-256."""

    __tablename__ = "calendar_feeds"
    __table_args__ = {"schema": "enrollment"}

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    person_id: uuid.UUID = Field(foreign_key="enrollment.people.id", index=True)
    secret_hash: bytes = Field(sa_type=LargeBinary, unique=True)
    created_at: datetime | None = server_timestamp()
    revoked_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    last_read_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
