"""Telling people: notification events become e-mails, sent once.

Enrollment publishes `enrollment.notification_requested` (recipient, kind, data) in the same transaction
as the change it reports; the feedback service publishes `feedback.mail_requested` (survey invitations
and reminders) the same way, and this queue, which keeps the addresses, sends both. The subscription
`enrollment.mailer` turns each into an e-mail in the person's language (`compose`), with calendar parts
where the change calls for them, and hands it to SMTP (aiosmtplib) or, with no SMTP server configured
(development), writes it as an `.eml` file under `.data/mail/`.

Sent once: before handing a mail over, the sender records a claim for the event in a transaction of its
own; after the server accepts it, the claim becomes `sent` in the consumer's transaction, together with
the subscription's new position. A consumer that restarts finds `sent` and skips the event. If the
process dies in the instant between the server accepting a mail and that commit, the claim is left at
`sending`: the outcome is unknown, and the sender marks it `uncertain` for ops instead of sending a
second copy (at most once; the Message-ID is derived from the event id, so even a copy resent by hand
is recognisable as the same message).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

import aiosmtplib
from sqlalchemy.ext.asyncio import AsyncSession

from services.enrollment.coaching.models import Coach
from services.enrollment.directory.models import Person
from services.enrollment.events import NotificationRequested
from services.enrollment.notifications import repository
from services.enrollment.notifications.compose import METHODS, CalendarPart, compose, message_id
from services.enrollment.notifications.invitations import Method, next_sequence
from services.enrollment.notifications.models import DeliveryStatus, MailDelivery
from services.enrollment.privacy.retention import MAIL_RECORDS_KEPT
from services.enrollment.settings import EnrollmentSettings, MailSecurity
from services.kernel import clock
from services.kernel.eventbus import Event, Subscription
from services.kernel.metrics import MAILS

log = logging.getLogger(__name__)

# The feedback service's mail requests: the same fields (recipient, kind, data) as ours.
SURVEY_MAILS = "feedback.mail_requested"


class Transport(Protocol):
    async def send(self, message: EmailMessage) -> None: ...


@dataclass(frozen=True)
class SmtpTransport:
    host: str
    port: int
    security: MailSecurity
    username: str | None
    password: str | None
    timeout: float

    async def send(self, message: EmailMessage) -> None:
        await aiosmtplib.send(
            message,
            hostname=self.host,
            port=self.port,
            use_tls=self.security is MailSecurity.tls,
            start_tls=self.security is MailSecurity.starttls,
            username=self.username,
            password=self.password,
            timeout=self.timeout,
        )


@dataclass(frozen=True)
class FileTransport:
    """Development: each mail is a file named by its Message-ID; writing is atomic (rename)."""

    directory: Path

    async def send(self, message: EmailMessage) -> None:
        await asyncio.to_thread(self._write, message)

    def _write(self, message: EmailMessage) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        name = str(message["Message-ID"]).strip().strip("<>").split("@", 1)[0]
        target = self.directory / f"{name}.eml"
        partial = target.with_suffix(".eml.part")
        partial.write_bytes(message.as_bytes())
        partial.replace(target)


def transport_for(settings: EnrollmentSettings) -> Transport:
    if settings.mail_smtp_host:
        password = settings.mail_smtp_password.get_secret_value() if settings.mail_smtp_password else None
        return SmtpTransport(
            host=settings.mail_smtp_host,
            port=settings.mail_smtp_port,
            security=settings.mail_smtp_security,
            username=settings.mail_smtp_username,
            password=password,
            timeout=settings.mail_smtp_timeout_seconds,
        )
    return FileTransport(settings.mail_directory)


async def calendar_parts(
    session: AsyncSession, person_id: uuid.UUID, payload: NotificationRequested
) -> list[CalendarPart]:
    """The calendar part for each session the mail is about, numbered for this person (and those numbers
    remembered): REQUEST for sessions they hold a confirmed place in; CANCEL only for sessions their
    calendar got a REQUEST for (someone who only waited has nothing to remove)."""
    method = METHODS.get(payload.kind)
    sessions = payload.data.get("sessions") or []
    if method is None or not sessions:
        return []
    known = await repository.calendar_sequences(
        session, person_id, [uuid.UUID(facts["session_id"]) for facts in sessions]
    )
    parts: list[CalendarPart] = []
    for facts in sessions:
        session_id = uuid.UUID(facts["session_id"])
        last = known.get(session_id)
        if method is Method.request and not facts.get("held"):
            continue
        if method is Method.cancel and (last is None or last.method != Method.request):
            continue
        catalog_sequence = int(facts.get("sequence") or 0)
        sequence = next_sequence(last, catalog_sequence, method)
        await repository.remember_sequence(session, person_id, session_id, sequence, catalog_sequence, method)
        parts.append(CalendarPart(method, facts, sequence))
    return parts


async def _claim(session: AsyncSession, event: Event, payload: NotificationRequested) -> str | None:
    """Record the claim in its own committed transaction; None if the event was claimed before."""
    async with AsyncSession(bind=session.bind) as own, own.begin():
        if await repository.claim(
            own, event.event_id, payload.kind, payload.recipient_person_id, message_id(event.event_id)
        ):
            return None
        existing = await own.get(MailDelivery, event.event_id)
        assert existing is not None
        if existing.status == DeliveryStatus.sending:
            existing.status = DeliveryStatus.uncertain
            MAILS.labels("enrollment", payload.kind, "uncertain").inc()
            log.warning(
                "mail for event %s may have been sent before a restart; not sent again", event.event_id
            )
        return existing.status


async def _release(session: AsyncSession, event_id: uuid.UUID) -> None:
    async with AsyncSession(bind=session.bind) as own, own.begin():
        await repository.forget(own, event_id)


def permanent_failure(error: Exception) -> str | None:
    """Why a mail can never be sent, or None when trying again may work. Permanent: the server's 5xx
    reply to the sender, a recipient or the message (RFC 5321 section 4.2.1), and a message the `email`
    package refuses to build (an address or header it cannot write). Everything else (4xx replies,
    connections refused or lost, timeouts) is worth another try."""
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        replies = [r for r in error.recipients if r.code >= 500]
        if replies and len(replies) == len(error.recipients):
            return "; ".join(f"{r.recipient}: {r.code} {r.message}" for r in replies)
        return None
    if isinstance(error, aiosmtplib.SMTPResponseException):
        return f"{error.code} {error.message}" if error.code >= 500 else None
    if isinstance(error, (ValueError, TypeError, UnicodeError)):
        return f"the message cannot be built: {error}"
    return None


def mail_subscription(settings: EnrollmentSettings, transport: Transport | None = None) -> Subscription:
    sender = transport or transport_for(settings)

    async def on_notification(session: AsyncSession, event: Event) -> None:
        payload = NotificationRequested.model_validate(event.payload)
        if event.occurred_at < clock.now() - MAIL_RECORDS_KEPT:
            # Older than the records of mails sent (a replay from long ago): whether this one went cannot
            # be known any more, and a second copy is worse than none.
            MAILS.labels("enrollment", payload.kind, "skipped").inc()
            log.warning("mail for event %s not sent: older than the records of mails sent", event.event_id)
            return
        if await _claim(session, event, payload) is not None:
            return
        delivery = await session.get(MailDelivery, event.event_id)
        assert delivery is not None
        person: Person | Coach | None = await session.get(Person, payload.recipient_person_id)
        if payload.recipient_coach_id is not None:
            person = await session.get(Coach, payload.recipient_coach_id)
        if person is None or not person.email:
            delivery.status = DeliveryStatus.skipped
            MAILS.labels("enrollment", payload.kind, "skipped").inc()
            return
        try:
            calendar = await calendar_parts(session, payload.recipient_person_id, payload)
            size = await repository.programme_size(session, payload.data.get("offering_id"))
            message = compose(
                settings.mail_sender,
                person,
                event,
                payload,
                frontend_url=settings.frontend_url,
                calendar=calendar,
                programme_size=size,
            )
            await sender.send(message)
        except Exception as error:
            reason = permanent_failure(error)
            if reason is None:
                # Refused for now or unreachable: nothing was delivered, so the claim goes and the bus
                # retries.
                MAILS.labels("enrollment", payload.kind, "refused").inc()
                await _release(session, event.event_id)
                raise
            # It will never go: recorded for ops, and the queue moves on to the next mail.
            delivery.status = DeliveryStatus.failed
            delivery.error = reason[:1000]
            MAILS.labels("enrollment", payload.kind, "failed").inc()
            log.warning("mail for event %s cannot be sent: %s", event.event_id, reason)
            return
        MAILS.labels("enrollment", payload.kind, "sent").inc()
        delivery.status = DeliveryStatus.sent
        delivery.sent_at = clock.now()

    # One mail per transaction: from its first write until it commits, a pass holds back every consumer's
    # ordering fence, and a hundred SMTP hand-overs in one pass held the catalogue's seat counts back for
    # the whole rush.
    return Subscription(
        name="enrollment.mailer",
        # The feedback service's survey mails come the same way: it keeps no addresses.
        topics=(NotificationRequested.topic, SURVEY_MAILS),
        handler=on_notification,
        batch_size=1,
        # A mail can wait a second; an enrollment in a rush is waiting for the same cores.
        yields_to_requests=True,
    )
