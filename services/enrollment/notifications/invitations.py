"""Calendar invitations and cancellations in mails (iTIP, RFC 5546, carried as iMIP, RFC 6047), built with
the `icalendar` library.

One iCalendar object per session, each with a single VEVENT: RFC 5546 lets one iTIP message carry
several components only when they share a UID (instances of one event), and each session is an event
of its own. The UID is the catalogue's (`services.kernel.calendars.session_uid`), so the entry a mail
creates is the one the catalogue's `.ics` and the personal feed describe.

A calendar client applies a REQUEST or CANCEL for a UID only when its SEQUENCE is not below the one it
holds (and, when equal, its DTSTAMP is newer). The catalogue raises SEQUENCE when a session moves or is
cancelled; but a person who leaves a session and joins it again gets a CANCEL and then a REQUEST about
an unchanged session, and the REQUEST must win. So each person's numbers are kept per session
(`CalendarSequence`): the first mail uses the catalogue's number, and every later mail that changes
anything for the person uses one more than the last (or the catalogue's, if higher).

The attendee is marked ACCEPTED with RSVP=FALSE: the place is decided by the enrolment, and replies sent
to the programme's mailbox would reach no one; cancelling is done in the intranet, as the mail says.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.headerregistry import Address
from enum import StrEnum
from typing import Any

from icalendar import Calendar, Event, vCalAddress, vText

from services.enrollment.notifications.models import CalendarSequence
from services.kernel.calendars import PRODID, add_place, oslo_timezone, paragraphs, session_uid, summary
from services.kernel.schemas import OSLO, one_line


class Method(StrEnum):
    request = "REQUEST"
    cancel = "CANCEL"


def next_sequence(known: CalendarSequence | None, catalog_sequence: int, method: Method) -> int:
    """The SEQUENCE for this person's next message about a session: never below the last one they got,
    and above it whenever the message changes something (another method, or a newer catalogue version)."""
    if known is None:
        return catalog_sequence
    changed = method != known.method or catalog_sequence > known.catalog_sequence
    return max(catalog_sequence, known.sequence + 1) if changed else known.sequence


def _address(address: Address) -> vCalAddress:
    value = vCalAddress(f"mailto:{address.addr_spec}")
    if address.display_name:
        value.params["cn"] = vText(one_line(address.display_name))
    return value


def invitation(
    method: Method,
    facts: dict[str, Any],
    *,
    title: str,
    programme_size: int,
    english: bool,
    description: str,
    organizer: Address,
    attendee: Address,
    sequence: int,
    stamp: datetime,
) -> str:
    """The iCalendar object of one iTIP message about one session."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method.value)
    calendar.add_component(oslo_timezone())
    event = Event()
    event.add("uid", session_uid(facts["session_id"]))
    event.add("dtstamp", stamp.astimezone(UTC))
    event.add("sequence", sequence)
    event.add("summary", summary(title, facts.get("position"), programme_size, english=english))
    event.add("dtstart", datetime.fromisoformat(facts["starts_at"]).astimezone(OSLO))
    event.add("dtend", datetime.fromisoformat(facts["ends_at"]).astimezone(OSLO))
    event.add("status", "CANCELLED" if method is Method.cancel else "CONFIRMED")
    event.add("organizer", _address(organizer))
    guest = _address(attendee)
    guest.params.update(
        {
            "role": "REQ-PARTICIPANT",
            "partstat": "DECLINED" if method is Method.cancel else "ACCEPTED",
            "rsvp": "FALSE",
        }
    )
    event.add("attendee", guest)
    add_place(event, facts.get("venue"), facts.get("room"), facts.get("meeting_url"))
    if description:
        event.add("description", paragraphs(description))
    calendar.add_component(event)
    text: str = calendar.to_ical().decode()
    return text
