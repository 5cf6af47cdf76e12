"""RFC 5545 calendars of sessions, built with the `icalendar` library.

Each session is one VEVENT whose UID never changes, so a calendar that imported it (Outlook, Google,
Apple) updates the entry in place: SEQUENCE rises on every reschedule and cancellation, and a cancelled
session is sent with STATUS:CANCELLED instead of disappearing. Times carry TZID=Europe/Oslo with the
VTIMEZONE definition included, so clients need no time-zone database of their own.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC

from icalendar import Calendar, Event

from services.catalog.offerings.models import Offering
from services.catalog.sessions.models import CourseSession, SessionStatus
from services.kernel.calendars import PRODID, add_place, oslo_timezone, paragraphs, session_uid, summary
from services.kernel.languages import Language, pick
from services.kernel.schemas import OSLO, one_line

WORDS = {
    Language.nb: {"cancelled": "AVLYST", "online": "Digital deltakelse"},
    Language.en: {"cancelled": "CANCELLED", "online": "Join online"},
}


def _event(offering: Offering, course_session: CourseSession, count: int, language: Language) -> Event:
    event = Event()
    event.add("uid", session_uid(course_session.id))
    event.add("dtstamp", (course_session.updated_at or course_session.starts_at).astimezone(UTC))
    if course_session.created_at is not None:
        event.add("created", course_session.created_at.astimezone(UTC))
    if course_session.updated_at is not None:
        event.add("last-modified", course_session.updated_at.astimezone(UTC))
    event.add("sequence", course_session.sequence)
    position = course_session.position if offering.is_programme else None
    english = language is Language.en and bool(offering.title_en)
    # The event's texts are in one language: the title's (English where the offering has an English title).
    language = Language.en if english else Language.nb
    title = offering.title_en if english and offering.title_en else offering.title
    event.add("summary", summary(title, position, count, english=english), parameters={"LANGUAGE": language})
    event.add("dtstart", course_session.starts_at.astimezone(OSLO))
    event.add("dtend", course_session.ends_at.astimezone(OSLO))
    cancelled = course_session.status == SessionStatus.cancelled
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    add_place(event, course_session.venue, course_session.room, course_session.meeting_url)
    words = WORDS[language]
    lines = [
        pick(language, course_session.description, course_session.description_en),
        pick(language, offering.summary, offering.summary_en),
    ]
    if cancelled and course_session.status_reason:
        lines.insert(0, f"{words['cancelled']}: {course_session.status_reason}")
    if course_session.meeting_url:
        lines.append(f"{words['online']}: {course_session.meeting_url}")
    event.add(
        "description",
        paragraphs("\n\n".join(line for line in lines if line)),
        parameters={"LANGUAGE": language},
    )
    event.add("categories", [offering.kind_code])
    return event


def calendar_for(
    offering: Offering,
    sessions: Sequence[CourseSession],
    *,
    name: str,
    programme_size: int,
    language: Language = Language.nb,
) -> bytes:
    """A calendar of `sessions` for a reader of `language`; `programme_size` numbers a programme's
    sessions ("samling 3 av 6")."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", one_line(name))
    calendar.add("x-wr-timezone", "Europe/Oslo")
    calendar.add_component(oslo_timezone())
    for course_session in sessions:
        calendar.add_component(_event(offering, course_session, programme_size, language))
    data: bytes = calendar.to_ical()
    return data
