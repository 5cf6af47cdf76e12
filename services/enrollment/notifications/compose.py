"""A notification as an e-mail: a plain-text and an HTML part (`multipart/alternative`) in the person's
language, and a `text/calendar` part per session the calendar should learn about.

With one calendar part it joins the alternatives (`text/plain`, `text/html`, `text/calendar`), the
layout RFC 6047 describes and Outlook, Google Calendar and Apple Mail all act on. With several (a
programme joined, moved or cancelled as a whole) the alternatives come first in a `multipart/mixed`, and
each session's part follows it, named `samling-N.ics`: a message carries one iTIP method and one event
per part."""

from __future__ import annotations

import contextlib
import html
import uuid
from dataclasses import dataclass
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import Any, Protocol

from services.enrollment.events import NotificationKind, NotificationRequested
from services.enrollment.notifications.invitations import Method, invitation
from services.enrollment.notifications.texts import LABELS, session_lines, title_in, when, wording
from services.kernel import clock
from services.kernel.eventbus import Event
from services.kernel.languages import Language
from services.kernel.schemas import one_line

# What each kind of change does to the calendar of the person told.
METHODS = {
    NotificationKind.confirmed: Method.request,
    NotificationKind.promoted: Method.request,
    NotificationKind.session_rescheduled: Method.request,
    NotificationKind.programme_rescheduled: Method.request,
    NotificationKind.cancelled: Method.cancel,
    NotificationKind.session_cancelled: Method.cancel,
    NotificationKind.programme_cancelled: Method.cancel,
}
DOMAIN = "lederutvikling.oslo.kommune.no"


@dataclass(frozen=True)
class CalendarPart:
    method: Method
    facts: dict[str, Any]
    sequence: int


class Recipient(Protocol):
    """Whom a mail goes to: a person of the directory, or a coach."""

    name: str
    email: str
    language: Language


def message_id(event_id: uuid.UUID) -> str:
    return f"<{event_id}@{DOMAIN}>"


def recipient(name: str, address: str) -> Address:
    """The address with its domain in IDNA form (`byrådsavdeling` → `xn--…`), which every mail server
    takes; a non-ASCII local part stays as it is (the message is then sent as SMTPUTF8)."""
    local, _, domain = address.rpartition("@")
    with contextlib.suppress(UnicodeError):  # not a valid IDNA name: left for the server to refuse
        domain = domain.encode("idna").decode("ascii")
    return Address(display_name=one_line(name), username=local, domain=domain)


def organizer(sender: str) -> Address:
    name, address = parseaddr(sender)
    local, _, domain = address.rpartition("@")
    return Address(display_name=name, username=local, domain=domain)


def _paragraphs(
    payload: NotificationRequested, language: Language, links: dict[str, str], size: int
) -> list[str]:
    """The mail's text as paragraphs (each may hold several lines), the same in both parts."""
    data, kind, label = payload.data, payload.kind, LABELS[language]
    words = wording(kind, language, data)
    title = title_in(data, language)
    paragraphs = [words.opening]
    paragraphs += ["\n".join(session_lines(title, s, language, size)) for s in data.get("sessions") or []]
    if data.get("reason"):
        paragraphs.append(f"{label['reason']}: {data['reason']}")
    method = METHODS.get(kind)
    if method is Method.request or kind in (NotificationKind.waitlisted, NotificationKind.session_reminder):
        sessions = data.get("sessions") or []
        deadlines = [s["cancellation_deadline"] for s in sessions if s.get("cancellation_deadline")]
        if deadlines and kind is not NotificationKind.session_reminder:
            deadline = when(min(deadlines), language)
            paragraphs.append(label["deadline"].format(deadline=deadline, link=links["mine"]))
        else:
            paragraphs.append(label["manage"].format(link=links["mine"]))
    if data.get("link"):
        paragraphs.append(label["answer"].format(link=data["link"]))
    return paragraphs


def _html(paragraphs: list[str], language: Language) -> str:
    blocks = "\n".join(
        "<p>" + "<br>".join(html.escape(line) for line in block.split("\n")) + "</p>" for block in paragraphs
    )
    return f'<!DOCTYPE html>\n<html lang="{language.value}">\n<body>\n{blocks}\n</body>\n</html>\n'


def compose(
    sender: str,
    person: Recipient,
    event: Event,
    payload: NotificationRequested,
    *,
    frontend_url: str = "https://intranett.oslo.kommune.no/lederutvikling",
    calendar: list[CalendarPart] | None = None,
    programme_size: int = 0,
) -> EmailMessage:
    """The mail for one notification to one person."""
    language = Language(person.language or Language.nb)
    links = {"mine": f"{frontend_url.rstrip('/')}/mine-pameldinger"}
    words = wording(payload.kind, language, payload.data)
    parts = calendar or []
    size = programme_size
    paragraphs = _paragraphs(payload, language, links, size)
    if parts:
        key = "calendar_cancel" if parts[0].method is Method.cancel else "calendar"
        paragraphs.append(LABELS[language][key])
    paragraphs.append(LABELS[language]["regards"])
    to = recipient(person.name, person.email)
    message = EmailMessage(policy=policy.default if to.addr_spec.isascii() else policy.SMTPUTF8)
    message["From"] = sender
    message["To"] = to
    message["Subject"] = one_line(words.subject)
    message["Date"] = format_datetime(clock.now())
    message["Message-ID"] = message_id(event.event_id)
    message.set_content("\n\n".join(paragraphs) + "\n")
    message.add_alternative(_html(paragraphs, language), subtype="html")
    stamp = clock.now()
    title = title_in(payload.data, language)
    for number, part in enumerate(parts, start=1):
        ical = invitation(
            part.method,
            part.facts,
            title=title,
            programme_size=size,
            english=language is Language.en,
            description="\n".join([words.opening, "", *session_lines(title, part.facts, language, size)]),
            organizer=organizer(sender),
            attendee=to,
            sequence=part.sequence,
            stamp=stamp,
        )
        params = {"method": part.method.value}
        if len(parts) == 1:
            message.add_alternative(ical, subtype="calendar", params=params)
        else:
            message.add_attachment(
                ical,
                subtype="calendar",
                params=params,
                disposition="inline",
                filename=f"samling-{number}.ics",
            )
    # Last: building the parts moves every Content-* header of the message into its first part.
    message["Content-Language"] = language.value
    return message
