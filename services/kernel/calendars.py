"""What every calendar the services write shares: a session's UID, the product id, session summaries and
description text. The catalogue's `.ics` downloads, the enrolment mails' invitations and the personal
feeds all name a session by the same UID, so a calendar that got the session from one of them updates
the same entry when another one changes it."""

from __future__ import annotations

import uuid
from functools import cache

from icalendar import Event, Timezone

from services.kernel.schemas import OSLO, one_line

PRODID = "-//Oslo kommune//Ledelsesutvikling//NO"
UID_DOMAIN = "ledelsesutvikling.oslo.kommune.no"


def session_uid(session_id: uuid.UUID) -> str:
    return f"session-{session_id}@{UID_DOMAIN}"


def summary(title: str, position: int | None, programme_size: int, *, english: bool = False) -> str:
    """The event's title: the offering's, and for a programme's session "samling 3 av 6"."""
    title = one_line(title)
    if position is not None and programme_size > 1:
        part = (
            f"session {position} of {programme_size}"
            if english
            else f"samling {position} av {programme_size}"
        )
        return f"{title} – {part}"
    return title


def add_place(event: Event, venue: str | None, room: str | None, meeting_url: str | None) -> None:
    """LOCATION (venue and room, or the meeting link for a session with no venue) and URL (the link)."""
    location = ", ".join(one_line(part) for part in (venue, room) if part)
    if location or meeting_url:
        event.add("location", location or meeting_url)
    if meeting_url:
        event.add("url", meeting_url)


def paragraphs(text: str) -> str:
    """Text of several lines as iCalendar takes it: line breaks as LF (the library escapes them), no other
    control characters (a bare CR would break the content line)."""
    return "\n".join(one_line(line) for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))


@cache
def oslo_timezone() -> Timezone:
    """Europe/Oslo as a VTIMEZONE, built once: every calendar the services write has its times there, and
    building it (every transition from the time-zone database) costs more than the rest of a calendar."""
    return Timezone.from_tzinfo(OSLO)
