"""API schemas of mail deliveries (ops)."""

from __future__ import annotations

import uuid

from pydantic import Field

from services.kernel.paging import Page
from services.kernel.schemas import OsloDatetime, ReadModel, WriteModel


class MailDeliveryPublic(ReadModel):
    event_id: uuid.UUID = Field(description="The `enrollment.notification_requested` event it sends.")
    kind: str
    recipient_person_id: uuid.UUID
    status: str = Field(
        description="`sending`, `sent`, `uncertain` (the process died between handing it over and "
        "recording it: not sent again), `skipped` (no address) or `failed` (can never be sent)."
    )
    message_id: str
    claimed_at: OsloDatetime | None
    sent_at: OsloDatetime | None
    error: str | None = Field(
        description="Why it failed for good: the server's reply, or what could not be built."
    )


class MailDeliveryPage(Page[MailDeliveryPublic]):
    """A page of mail deliveries."""


class RemindersSetting(WriteModel):
    """Whether reminders go out before an offering's sessions."""

    reminders_enabled: bool


class RemindersPublic(ReadModel):
    offering_id: uuid.UUID
    reminders_enabled: bool
