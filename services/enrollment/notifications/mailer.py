"""Telling people: notification events become e-mails, sent once.

Enrollment publishes `enrollment.notification_requested` (recipient, kind, data) in the same transaction
as the change it reports. The subscription `enrollment.mailer` turns each into a Norwegian e-mail and
hands it to SMTP (aiosmtplib) or, with no SMTP server configured (development), writes it as an `.eml`
file under `.data/mail/`.

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
import contextlib
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any, Protocol

import aiosmtplib
from sqlalchemy.ext.asyncio import AsyncSession

from services.enrollment.directory.models import Person
from services.enrollment.events import NotificationKind, NotificationRequested
from services.enrollment.notifications import repository
from services.enrollment.notifications.models import DeliveryStatus, MailDelivery
from services.enrollment.settings import EnrollmentSettings, MailSecurity
from services.kernel import clock
from services.kernel.eventbus import Event, Subscription
from services.kernel.metrics import MAILS
from services.kernel.schemas import OSLO, one_line

log = logging.getLogger(__name__)


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


def _when(value: Any) -> str:
    moment = datetime.fromisoformat(str(value)).astimezone(OSLO)
    return moment.strftime("%d.%m.%Y kl. %H:%M")


def render(kind: NotificationKind, data: dict[str, Any]) -> tuple[str, str]:
    """Subject and body in Norwegian (bokmål)."""
    title = data.get("offering_title", "")
    when = f" {_when(data['starts_at'])}" if data.get("starts_at") else ""
    subjects = {
        NotificationKind.confirmed: f"Påmelding bekreftet: {title}",
        NotificationKind.waitlisted: f"Du står på venteliste: {title}",
        NotificationKind.promoted: f"Du har fått plass: {title}",
        NotificationKind.cancelled: f"Påmelding avmeldt: {title}",
        NotificationKind.session_cancelled: f"Avlyst: {title}",
        NotificationKind.session_rescheduled: f"Nytt tidspunkt: {title}",
    }
    lines = {
        NotificationKind.confirmed: f"Du er påmeldt {title}{when}.",
        NotificationKind.waitlisted: (
            f"{title}{when} er fullt. Du står som nummer {data.get('position')} på ventelisten, "
            "og får beskjed hvis du får plass."
        ),
        NotificationKind.promoted: f"En plass ble ledig, og du er nå påmeldt {title}{when}.",
        NotificationKind.cancelled: f"Påmeldingen din til {title}{when} er avmeldt.",
        NotificationKind.session_cancelled: f"Samlingen {title}{when} er avlyst, og påmeldingen er avmeldt.",
        NotificationKind.session_rescheduled: (
            f"Samlingen {title} er flyttet fra {_when(data['previous_starts_at'])} til"
            f"{when}. Du beholder plassen din."
            if data.get("previous_starts_at")
            else f"Samlingen {title} har fått nytt tidspunkt:{when}."
        ),
    }
    body = lines[kind]
    if data.get("reason"):
        body += f"\n\nBegrunnelse: {data['reason']}"
    return subjects[kind], body + "\n\nVennlig hilsen\nUtviklings- og kompetanseetaten\n"


def recipient(name: str, address: str) -> Address:
    """The address with its domain in IDNA form (`byrådsavdeling` → `xn--…`), which every mail server
    takes; a non-ASCII local part stays as it is (the message is then sent as SMTPUTF8)."""
    local, _, domain = address.rpartition("@")
    with contextlib.suppress(UnicodeError):  # not a valid IDNA name: left for the server to refuse
        domain = domain.encode("idna").decode("ascii")
    return Address(display_name=one_line(name), username=local, domain=domain)


def compose(sender: str, person: Person, event: Event, payload: NotificationRequested) -> EmailMessage:
    subject, body = render(payload.kind, payload.data)
    to = recipient(person.name, person.email)
    message = EmailMessage(policy=policy.default if to.addr_spec.isascii() else policy.SMTPUTF8)
    message["From"] = sender
    message["To"] = to
    message["Subject"] = one_line(subject)
    message["Date"] = format_datetime(clock.now())
    message["Message-ID"] = message_id(event.event_id)
    message.set_content(body)
    return message


def message_id(event_id: uuid.UUID) -> str:
    return f"<{event_id}@lederutvikling.oslo.kommune.no>"


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
        if await _claim(session, event, payload) is not None:
            return
        delivery = await session.get(MailDelivery, event.event_id)
        assert delivery is not None
        person = await session.get(Person, payload.recipient_person_id)
        if person is None or not person.email:
            delivery.status = DeliveryStatus.skipped
            MAILS.labels("enrollment", payload.kind, "skipped").inc()
            return
        try:
            message = compose(settings.mail_sender, person, event, payload)
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
        topics=(NotificationRequested.topic,),
        handler=on_notification,
        batch_size=1,
        # A mail can wait a second; an enrollment in a rush is waiting for the same cores.
        yields_to_requests=True,
    )
