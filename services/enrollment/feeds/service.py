"""Personal calendar feeds: a secret subscription URL per feed, readable by calendar clients without a
bearer token (which no calendar client can send).

The secret (256 random bits) is shown once, when the feed is created, and kept only as its SHA-256: the
database cannot give it back, and a leaked backup does not open anyone's calendar. Revoking a feed
takes effect on the next read (the lookup wants an unrevoked feed). A person keeps at most
`MAX_FEEDS` feeds, one per calendar client they use.

What a feed holds: the person's confirmed places, from 90 days back, as CONFIRMED events; places they
are waiting for as TENTATIVE and transparent (shown, but not blocking the time, since the seat is not
theirs yet), their summary saying so. A cancelled place or session drops out of the feed, which calendar
clients take as the event's removal. UIDs and SEQUENCE are the catalogue's, the same as the mails', so a
client that has both shows one entry per session.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import UTC, timedelta

from icalendar import Calendar, Event
from sqlalchemy.ext.asyncio import AsyncSession

from services.enrollment.directory import repository as directory
from services.enrollment.directory.service import person_for
from services.enrollment.feeds import repository
from services.enrollment.notifications.models import CalendarFeed
from services.kernel import clock
from services.kernel.auth.tokens import Principal
from services.kernel.calendars import PRODID, add_place, oslo_timezone, paragraphs, session_uid, summary
from services.kernel.languages import Language, pick
from services.kernel.problems import Conflict, NotFound
from services.kernel.schemas import OSLO

MAX_FEEDS = 5
HISTORY = timedelta(days=90)


class FeedNotFound(NotFound):
    slug = "calendar-feed-not-found"
    title = "Calendar feed not found"


class TooManyFeeds(Conflict):
    slug = "too-many-calendar-feeds"
    title = "Too many calendar feeds"


def secret_hash(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


async def create(session: AsyncSession, principal: Principal) -> tuple[CalendarFeed, str]:
    """A new feed for the signed-in person, and its secret (never stored, never shown again)."""
    person = await person_for(session, principal)
    if len(await repository.active_feeds(session, person.id)) >= MAX_FEEDS:
        raise TooManyFeeds(
            f"You have {MAX_FEEDS} calendar feeds; revoke one you no longer use first.",
            extra={"max_feeds": MAX_FEEDS},
        )
    secret = secrets.token_urlsafe(32)
    feed = CalendarFeed(person_id=person.id, secret_hash=secret_hash(secret))
    await repository.add(session, feed)
    return feed, secret


async def mine(session: AsyncSession, principal: Principal) -> list[CalendarFeed]:
    person = await person_for(session, principal)
    return await repository.active_feeds(session, person.id)


async def revoke(session: AsyncSession, principal: Principal, feed_id: uuid.UUID) -> None:
    person = await person_for(session, principal)
    if not await repository.revoke(session, person.id, feed_id):
        raise FeedNotFound(f"You have no active calendar feed {feed_id}.")


async def calendar(session: AsyncSession, secret: str) -> bytes:
    """The feed's calendar; 404 for a secret that names no active feed (revoked, or never made)."""
    person_id = await repository.reader(session, secret_hash(secret))
    if person_id is None:
        raise FeedNotFound("No active calendar feed has this address.")
    person = await directory.get_person(session, person_id)
    language = person.language if person is not None else Language.nb
    english = language is Language.en
    places = await repository.places(session, person_id, clock.now() - HISTORY)
    feed = Calendar()
    feed.add("prodid", PRODID)
    feed.add("version", "2.0")
    feed.add("calscale", "GREGORIAN")
    feed.add("method", "PUBLISH")
    feed.add("x-wr-calname", "My leadership development" if english else "Min lederutvikling")
    feed.add("x-wr-timezone", "Europe/Oslo")
    feed.add("refresh-interval", timedelta(hours=1), parameters={"value": "DURATION"})
    feed.add("x-published-ttl", "PT1H")
    feed.add_component(oslo_timezone())
    for place in places:
        if place.course.status != "scheduled" and place.course.status != "completed":
            continue
        course, waiting = place.course, place.status == "waitlisted"
        event = Event()
        event.add("uid", session_uid(course.id))
        event.add("dtstamp", clock.now().astimezone(UTC))
        event.add("sequence", course.catalog_sequence)
        title = pick(language, place.offering.title, place.offering.title_en)
        name = summary(title, course.position, place.programme_size, english=english)
        if waiting:
            name = f"{name} ({'waiting list' if english else 'venteliste'})"
        event.add("summary", name)
        event.add("dtstart", course.starts_at.astimezone(OSLO))
        event.add("dtend", course.ends_at.astimezone(OSLO))
        event.add("status", "TENTATIVE" if waiting else "CONFIRMED")
        event.add("transp", "TRANSPARENT" if waiting else "OPAQUE")
        add_place(event, course.venue, course.room, course.meeting_url)
        about = pick(language, course.description, course.description_en)
        if about:
            event.add("description", paragraphs(about))
        feed.add_component(event)
    data: bytes = feed.to_ical()
    return data
