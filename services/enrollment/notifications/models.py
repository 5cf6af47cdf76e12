"""Mails handed to the sender, keyed by the notification event: each is sent once."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import DateTime
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
